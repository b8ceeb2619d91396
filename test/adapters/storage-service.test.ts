import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { Client } from 'minio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { StorageUnavailableError } from '../../src/domain/errors.js';
import { FsStorageService } from '../../src/adapters/fs/fs-storage-service.js';
import { InMemoryStorageService } from '../../src/adapters/memory/in-memory-storage-service.js';
import { MinioStorageService, type MinioStorageOptions } from '../../src/adapters/minio/minio-storage-service.js';
import { storageServiceContract } from '../contracts/storage-service.contract.js';
import { freePort } from '../support/free-port.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const tempRoot = () => mkdtemp(path.join(tmpdir(), 'imagehost-fs-storage-'));
const uniqueBucket = () => `test-${randomUUID()}`;

storageServiceContract('InMemoryStorageService', () =>
  Promise.resolve({ storage: new InMemoryStorageService(), close: () => Promise.resolve() }),
);

storageServiceContract('FsStorageService', async () => {
  const root = await tempRoot();
  return { storage: new FsStorageService(root), close: () => rm(root, { recursive: true, force: true }) };
});

describe('FsStorageService', () => {
  let root: string;
  let storage: FsStorageService;

  beforeEach(async () => {
    // The service works one level down, so that an escape to the parent would be visible and cleaned up.
    root = await tempRoot();
    storage = new FsStorageService(path.join(root, 'store'));
  });

  afterEach(() => rm(root, { recursive: true, force: true }));

  it.each(['../x', '/abs', 'a/../../x', 'a//b', './a', 'a/', '', 'a b', 'a\\..\\x', 'ü'])(
    'rejects the key %j on every operation',
    async (key) => {
      const message = /invalid storage key/i;
      await expect(storage.put(key, bytes('x'), { contentType: 'image/png' })).rejects.toThrow(message);
      await expect(storage.get(key)).rejects.toThrow(message);
      await expect(storage.getStream(key)).rejects.toThrow(message);
      await expect(storage.delete(key)).rejects.toThrow(message);
      expect(await readdir(root)).toEqual([]);
    },
  );

  it('leaves no temp files after puts, only the objects', async () => {
    await storage.put('originals/img1', bytes('one'), { contentType: 'image/png' });
    await storage.put('originals/img1', bytes('two'), { contentType: 'image/png' });
    await storage.put('thumbnails/img1/150.jpg', bytes('three'), { contentType: 'image/jpeg' });

    const files = await readdir(path.join(root, 'store'), { recursive: true, withFileTypes: true });
    const names = files.filter((f) => f.isFile()).map((f) => path.relative(root, path.join(f.parentPath, f.name)));
    expect(names.sort()).toEqual([path.join('store', 'originals', 'img1'), path.join('store', 'thumbnails', 'img1', '150.jpg')]);
  });

  it('a put that fails removes its temp file and rejects with STORAGE_UNAVAILABLE', async () => {
    await storage.put('a/b', bytes('child'), { contentType: 'image/png' });

    // `a` is now a directory, so the rename onto it must fail.
    await expect(storage.put('a', bytes('parent'), { contentType: 'image/png' })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      cause: { code: 'EISDIR' },
    });

    expect(await readdir(path.join(root, 'store'))).toEqual(['a']);
    expect(await readdir(path.join(root, 'store', 'a'))).toEqual(['b']);
    expect(await storage.get('a')).toBeNull();
  });

  it('objects and their content type survive a new instance on the same directory', async () => {
    await storage.put('originals/img1', bytes('kept'), { contentType: 'image/avif' });

    const reopened = await new FsStorageService(path.join(root, 'store')).getStream('originals/img1');

    expect(reopened).toMatchObject({ size: 4, contentType: 'image/avif' });
    expect(reopened && new TextDecoder().decode(await buffer(reopened.body))).toBe('kept');
  });

  it('refuses to read a file that is not one of its objects', async () => {
    await storage.put('originals/img1', bytes('x'), { contentType: 'image/png' });
    await writeFile(path.join(root, 'store', 'originals', 'stray'), 'not an object');

    await expect(storage.get('originals/stray')).rejects.toThrow(/not a valid imagehost object/);
    await expect(storage.getStream('originals/stray')).rejects.toThrow(/not a valid imagehost object/);
  });

  it('a directory is not an object', async () => {
    await storage.put('thumbnails/img1/150.jpg', bytes('x'), { contentType: 'image/jpeg' });

    expect(await storage.get('thumbnails/img1')).toBeNull();
    expect(await storage.getStream('thumbnails/img1')).toBeNull();
    await expect(storage.delete('thumbnails/img1')).resolves.toBeUndefined();
    await expect(access(path.join(root, 'store', 'thumbnails', 'img1', '150.jpg'))).resolves.toBeUndefined();
  });
});

describe('MinioStorageService against s3rver', () => {
  let s3: S3TestServer;
  let admin: Client;
  const optionsFor = (bucket: string): MinioStorageOptions => ({
    endPoint: s3.url,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    bucket,
    region: 'us-east-1',
    pathStyle: true,
  });

  beforeAll(async () => {
    s3 = await startS3Server();
    const { hostname, port } = new URL(s3.url);
    admin = new Client({ endPoint: hostname, port: Number(port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true });
  });

  afterAll(() => s3?.close());

  storageServiceContract('MinioStorageService', async () => ({
    storage: await MinioStorageService.connect(optionsFor(uniqueBucket())),
    close: () => Promise.resolve(),
  }));

  it('connect creates a missing bucket', async () => {
    const bucket = uniqueBucket();
    expect(await admin.bucketExists(bucket)).toBe(false);

    await MinioStorageService.connect(optionsFor(bucket));

    expect(await admin.bucketExists(bucket)).toBe(true);
  });

  it('connecting twice, one after the other or at once, is fine', async () => {
    const bucket = uniqueBucket();
    const first = await MinioStorageService.connect(optionsFor(bucket));
    const [second, third] = await Promise.all([
      MinioStorageService.connect(optionsFor(bucket)),
      MinioStorageService.connect(optionsFor(bucket)),
    ]);

    await first.put('originals/img1', bytes('shared'), { contentType: 'image/png' });
    expect(new TextDecoder().decode((await second.get('originals/img1')) ?? undefined)).toBe('shared');
    expect(new TextDecoder().decode((await third.get('originals/img1')) ?? undefined)).toBe('shared');
  });

  it('connect succeeds when another process creates the bucket between its check and its create', async () => {
    const bucket = uniqueBucket();
    await admin.makeBucket(bucket);
    // The first existence check answers as if it ran just before the other process created the bucket.
    const check = vi.spyOn(Client.prototype, 'bucketExists').mockResolvedValueOnce(false);
    try {
      const storage = await MinioStorageService.connect(optionsFor(bucket));
      await storage.put('originals/img1', bytes('x'), { contentType: 'image/png' });
      expect(check).toHaveBeenCalledTimes(2);
    } finally {
      check.mockRestore();
    }
  });

  it('getStream reports the content type and size stored by put', async () => {
    const storage = await MinioStorageService.connect(optionsFor(uniqueBucket()));
    await storage.put('thumbnails/img1/300.webp', new Uint8Array(12_345).fill(7), { contentType: 'image/webp' });

    const stored = await storage.getStream('thumbnails/img1/300.webp');

    expect(stored).toMatchObject({ size: 12_345, contentType: 'image/webp' });
    expect(stored && (await buffer(stored.body)).length).toBe(12_345);
  });

  it('a missing bucket is an error with the driver error as cause, not an absent object', async () => {
    const storage = new MinioStorageService(optionsFor(uniqueBucket()));

    const error = await storage.get('originals/img1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/^MinIO get of "originals\/img1" in bucket "test-[0-9a-f-]+" failed: /);
    expect(error).toMatchObject({ cause: { code: 'NoSuchBucket' } });
    await expect(storage.getStream('originals/img1')).rejects.toMatchObject({ cause: { code: 'NoSuchBucket' } });
    await expect(storage.delete('originals/img1')).rejects.toMatchObject({ cause: { code: 'NoSuchBucket' } });
  });

  // s3rver does not verify V4 signatures, only that the access key exists, so an unknown key is the test.
  it('an unknown access key rejects every operation with the driver error as cause', async () => {
    const bucket = uniqueBucket();
    await MinioStorageService.connect(optionsFor(bucket));
    const storage = new MinioStorageService({ ...optionsFor(bucket), accessKey: 'NOBODY' });
    const denied = { cause: { code: 'InvalidAccessKeyId' } };

    await expect(storage.put('originals/img1', bytes('x'), { contentType: 'image/png' })).rejects.toMatchObject(denied);
    await expect(storage.get('originals/img1')).rejects.toMatchObject(denied);
    await expect(storage.getStream('originals/img1')).rejects.toMatchObject(denied);
    await expect(storage.delete('originals/img1')).rejects.toMatchObject(denied);
    await expect(MinioStorageService.connect({ ...optionsFor(uniqueBucket()), accessKey: 'NOBODY' })).rejects.toThrow(
      /^MinIO create bucket of bucket "test-[0-9a-f-]+" failed: /,
    );
  });

  it('a server that does not answer rejects every operation with STORAGE_UNAVAILABLE, the driver error as cause', async () => {
    const storage = new MinioStorageService({ ...optionsFor(uniqueBucket()), endPoint: `http://127.0.0.1:${await freePort()}` });
    const unavailable = { code: 'STORAGE_UNAVAILABLE', cause: { code: 'ECONNREFUSED' } };

    await expect(storage.put('originals/img1', bytes('x'), { contentType: 'image/png' })).rejects.toMatchObject(unavailable);
    await expect(storage.get('originals/img1')).rejects.toMatchObject(unavailable);
    await expect(storage.getStream('originals/img1')).rejects.toMatchObject(unavailable);
    await expect(storage.delete('originals/img1')).rejects.toMatchObject(unavailable);
    await expect(storage.ensureBucket()).rejects.toMatchObject(unavailable);
  });

  it('a server that accepts and then stalls fails each operation with STORAGE_UNAVAILABLE after operationTimeoutMs', async () => {
    const sockets = new Set<net.Socket>();
    const stalled = net.createServer((socket) => sockets.add(socket.on('error', () => undefined))).listen(0, '127.0.0.1');
    await once(stalled, 'listening');
    const { port } = stalled.address() as net.AddressInfo;
    try {
      const storage = new MinioStorageService({ ...optionsFor(uniqueBucket()), endPoint: `http://127.0.0.1:${port}`, operationTimeoutMs: 300 });
      const unavailable = { code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('no answer in 300 ms') as string };

      await expect(storage.get('originals/img1')).rejects.toMatchObject(unavailable);
      await expect(storage.getStream('originals/img1')).rejects.toMatchObject(unavailable);
      await expect(storage.put('originals/img1', bytes('x'), { contentType: 'image/png' })).rejects.toMatchObject(unavailable);
      await expect(storage.delete('originals/img1')).rejects.toMatchObject(unavailable);
    } finally {
      stalled.close();
      for (const socket of sockets) socket.destroy();
    }
  });

  it('rejects an endPoint that is not an http(s) URL without a path', () => {
    expect(() => new MinioStorageService({ ...optionsFor('b'), endPoint: 'ftp://127.0.0.1' })).toThrow(/http\(s\) URL/);
    expect(() => new MinioStorageService({ ...optionsFor('b'), endPoint: 'http://127.0.0.1/prefix' })).toThrow(/without a path/);
    expect(() => new MinioStorageService({ ...optionsFor('b'), endPoint: 'https://s3.example.com' })).not.toThrow();
  });
});
