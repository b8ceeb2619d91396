import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FsStorageService } from '../../src/adapters/fs/fs-storage-service.js';
import { MinioStorageService } from '../../src/adapters/minio/minio-storage-service.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function listed(iterable: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterable) keys.push(key);
  return keys.sort();
}

describe('FsStorageService listing and folder upkeep', () => {
  let root: string;
  let storage: FsStorageService;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'imagehost-fs-list-'));
    storage = new FsStorageService(root);
  });

  afterEach(() => rm(root, { recursive: true, force: true }));

  it('never lists temp files (a put killed mid-write leaves one) nor files whose names are no key', async () => {
    await storage.put('originals/ab/ab01', bytes('kept'), { contentType: 'image/png' });
    await writeFile(path.join(root, 'originals', 'ab', `~${randomUUID()}.tmp`), 'half an object');
    await writeFile(path.join(root, 'originals', 'ab', 'not a key'), 'stray');
    await mkdir(path.join(root, 'originals', 'empty-folder'));

    expect(await listed(storage.list(''))).toEqual(['originals/ab/ab01']);
  });

  it('removes temp files over an hour old as it walks past them (left by a put whose process died), never a fresh one', async () => {
    const folder = path.join(root, 'originals', 'ab');
    await storage.put('originals/ab/ab01', bytes('kept'), { contentType: 'image/png' });
    const abandoned = path.join(folder, `~${randomUUID()}.tmp`);
    const fresh = path.join(folder, `~${randomUUID()}.tmp`);
    await writeFile(abandoned, 'half an object');
    await writeFile(fresh, 'a put under way');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(abandoned, twoHoursAgo, twoHoursAgo);

    expect(await listed(storage.list(''))).toEqual(['originals/ab/ab01']);

    expect((await readdir(folder)).sort()).toEqual(['ab01', path.basename(fresh)].sort());
  });

  it('rejects a prefix whose folder part is no valid key, as every other operation does', async () => {
    await expect(listed(storage.list('../'))).rejects.toThrow(/invalid storage key/i);
  });

  it('a put into a folder that a delete of its last object is removing still lands', async () => {
    // Different keys in one shared folder (`originals/ab/`): the delete prunes the folder it empties,
    // racing the put's creation of that folder and of its temp file.
    for (let round = 0; round < 150; round++) {
      await storage.put('originals/ab/old', bytes('old'), { contentType: 'image/png' });
      await Promise.all([
        storage.delete('originals/ab/old'),
        storage.put('originals/ab/new', bytes('new'), { contentType: 'image/png' }),
      ]);
      expect(new TextDecoder().decode((await storage.get('originals/ab/new')) ?? undefined)).toBe('new');
      await storage.delete('originals/ab/new');
    }
    expect(await listed(storage.list(''))).toEqual([]);
  });
});

describe('MinioStorageService listing against s3rver', () => {
  let s3: S3TestServer;

  beforeAll(async () => {
    s3 = await startS3Server();
  });

  afterAll(() => s3?.close());

  it('a missing bucket rejects the listing with the driver error as cause', async () => {
    const bucket = `test-${randomUUID()}`;
    const storage = new MinioStorageService({
      endPoint: s3.url,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket,
      region: 'us-east-1',
      pathStyle: true,
    });
    const error: unknown = await listed(storage.list('originals/')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^MinIO list of "originals\/" in bucket "test-[0-9a-f-]+" failed: /);
    expect(error).toMatchObject({ cause: { code: 'NoSuchBucket' } });
  });
});
