import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FsStorageService } from '../../src/adapters/fs/fs-storage-service.js';
import { KeyedMutex } from '../../src/adapters/locking/keyed-mutex.js';
import { MikroOrmImageRepository } from '../../src/adapters/mikro-orm/mikro-orm-image-repository.js';
import { MinioStorageService } from '../../src/adapters/minio/minio-storage-service.js';
import { SharpImageResizer } from '../../src/adapters/sharp/sharp-image-resizer.js';
import type { Image } from '../../src/domain/image.js';
import type { ImageRepository } from '../../src/ports/image-repository.js';
import type { ImageResizer } from '../../src/ports/image-resizer.js';
import type { StorageService } from '../../src/ports/storage-service.js';
import { thumbnailHandlers } from '../support/core-kit.js';
import { faultyKit, historyOf, InjectedFault, storedKeys, untilIdle, type FaultyStorage } from '../support/faults.js';
import { faultOperation, runFaultSequence } from '../support/random-faults.js';
import { serviceReachable, TEST_POSTGRES_URL } from '../support/real-services.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import { jpeg } from '../support/sample-images.js';
import { migratedScratch, scratchLibsql, scratchPostgres } from '../support/scratch-databases.js';

const postgresReachable = await serviceReachable('PostgreSQL', TEST_POSTGRES_URL);

const PHOTO = await jpeg(640, 480);
const VARIANTS = await Promise.all([0, 1, 2, 3].map((variant) => jpeg(100 + variant, 80))); // for the randomized runs
const sharpResizer = new SharpImageResizer({ maxPixels: 10_000_000 });

type Outage = { begin(): Promise<void>; end(): Promise<void> };

/**
 * A real store (the disk, or an S3 server) and a real migrated repository (libsql or PostgreSQL), each of
 * its own, for the fault-injecting wrappers of test/support/faults.ts to wrap; sharp renders real images.
 */
interface RealStack {
  readonly storage: StorageService;
  readonly images: ImageRepository;
  close(): Promise<void>;
}

async function fsOnLibsql(): Promise<RealStack> {
  const root = await mkdtemp(path.join(tmpdir(), 'imagehost-faults-'));
  const { database, close } = await migratedScratch(scratchLibsql);
  const storage = new FsStorageService(path.join(root, 'store'));
  return { storage, images: new MikroOrmImageRepository(database.orm), close: () => close().then(() => rm(root, { recursive: true, force: true })) };
}

async function minioOnPostgres(s3: S3TestServer): Promise<RealStack> {
  const { url: endPoint, accessKey, secretKey } = s3;
  const storage = await MinioStorageService.connect({ endPoint, accessKey, secretKey, bucket: randomUUID(), region: 'us-east-1', pathStyle: true });
  const { database, close } = await migratedScratch(scratchPostgres);
  return { storage: atomicOverwrites(storage), images: new MikroOrmImageRepository(database.orm), close };
}

/**
 * s3rver overwrites an object in place (truncate, then write): a GET racing a PUT of the same key answers
 * with the old Content-Length and none of the bytes, and the read hangs. S3 and MinIO replace an object
 * atomically; taking each key's reads and writes one at a time makes the test server do the same.
 */
function atomicOverwrites(storage: StorageService): StorageService {
  const keys = new KeyedMutex();
  return {
    put: (key, body, options) => keys.run(key, () => storage.put(key, body, options)),
    get: (key) => keys.run(key, () => storage.get(key)),
    getStream: (key, range) => storage.getStream(key, range),
    delete: (key) => storage.delete(key),
    list: (prefix) => storage.list(prefix),
  };
}

/** Each rendition object of the image holds what its row records: bytes, SHA-256, content type, a JPEG of those dimensions. */
async function expectRenditionsIntact(storage: FaultyStorage, image: Image): Promise<void> {
  expect(image.thumbnail.renditions.map((r) => r.size)).toEqual([150, 300]);
  for (const rendition of image.thumbnail.renditions) {
    const object = await storage.inner.getStream(rendition.key);
    expect(object, rendition.key).not.toBeNull();
    const bytes = await buffer(object!.body);
    const stored = { contentType: object!.contentType, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
    expect(stored).toEqual({ contentType: rendition.contentType, bytes: rendition.bytes, sha256: rendition.sha256 });
    const { format, width, height } = await sharp(bytes).metadata();
    expect({ format, width, height }).toEqual({ format: 'jpeg', width: rendition.width, height: rendition.height });
  }
}

/** sharp, counting its renders; when `held`, a render that has begun waits until `release()`. */
function watchedResizer(held: boolean) {
  let begun!: () => void;
  let release: () => void = () => undefined;
  const renderBegun = new Promise<void>((resolve) => (begun = resolve));
  const released = held ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
  let renders = 0;
  const resizer: ImageResizer = {
    probe: (bytes) => sharpResizer.probe(bytes),
    render: (bytes, options) => {
      renders++;
      begun();
      return released.then(() => sharpResizer.render(bytes, options));
    },
  };
  return { resizer, renderBegun, release: () => release(), renders: () => renders };
}

/**
 * The fault scenarios that matter, on one real stack: `randomRuns` runs of the randomized sequence, each on a
 * fresh stack, and, where the stack can make its storage really unreachable and back, an `outage`.
 */
function faultScenarios(openStack: () => Promise<RealStack>, { randomRuns, outage }: { randomRuns: number; outage?: Outage }) {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function realKit(resizer: ImageResizer = sharpResizer) {
    const stack = await openStack();
    cleanups.push(() => stack.close());
    const parts = faultyKit({}, { storage: stack.storage, images: stack.images, resizer });
    cleanups.push(() => parts.kit.scheduler.stop());
    const upload = () =>
      parts.kit.upload.execute({ bytes: PHOTO, filename: 'photo.jpg' }).then(({ image, deleteToken }) => ({ ...image.props, deleteToken }));
    const start = () => parts.kit.scheduler.start(thumbnailHandlers(parts.kit.generate));
    const settled = (id: string) => untilIdle(parts.kit.scheduler, 15_000).then(() => parts.kit.getImage.execute(id));
    const expectOriginalServed = async (id: string) => {
      const body = await (await parts.kit.getOriginal.execute(id)).open();
      expect(body).not.toBeNull();
      expect(new Uint8Array(await buffer(body!))).toEqual(PHOTO);
    };
    /** A full sweep deletes `deleted` objects and leaves exactly `keys` in the store. */
    const expectSweepLeaves = async (keys: readonly string[], deleted = 0) => {
      expect(await parts.kit.sweep.execute()).toMatchObject({ deleted, finished: true });
      expect(await storedKeys(parts.storage)).toEqual([...keys].sort());
    };
    return { ...parts, upload, start, settled, expectOriginalServed, expectSweepLeaves };
  }

  it('storage reads failing twice during a job: retried, then ready; every rendition object matches its row, nothing else stored', async () => {
    const { faults, images, storage, upload, start, settled, expectSweepLeaves } = await realKit();
    await start();
    faults.failNext('storage.get', 2);
    const { id } = await upload();
    const image = await settled(id);
    expect(historyOf(images, id).map((t) => t.status)).toEqual(['processing', 'pending', 'processing', 'pending', 'processing', 'ready']);
    expect(image.thumbnail).toMatchObject({ status: 'ready', attempts: 3, lastError: null, nextRetryAt: null });
    await expectRenditionsIntact(storage, image);
    await expectSweepLeaves(image.storageKeys());
  });

  it('rendition writes that landed but answered with an error: retried, then ready, the rewritten objects intact', async () => {
    const { faults, storage, upload, start, settled, expectSweepLeaves } = await realKit();
    const { id } = await upload();
    faults.failNext('storage.put', 2, 'after');
    await start();
    const image = await settled(id);
    expect(faults.injected).toEqual(['storage.put', 'storage.put']);
    expect(image.thumbnail).toMatchObject({ status: 'ready', attempts: 2 });
    await expectRenditionsIntact(storage, image);
    await expectSweepLeaves(image.storageKeys());
  });

  it('storage failing on every try: failed with its reason, the original still served, no rendition object stored', async () => {
    const { faults, upload, start, settled, expectOriginalServed, expectSweepLeaves } = await realKit();
    const { id, originalKey } = await upload();
    faults.failAlways('storage.get');
    await start();
    const image = await settled(id);
    expect(image.thumbnail).toMatchObject({ status: 'failed', attempts: 3, lastError: 'UNEXPECTED_ERROR', nextRetryAt: null, renditions: [] });
    faults.heal();
    await expectOriginalServed(id);
    await expectSweepLeaves([originalKey]);
  });

  it('rendition writes landing but failing on every try: failed; the sweep removes exactly the renditions written, the original stays', async () => {
    const { faults, storage, upload, start, settled, expectOriginalServed, expectSweepLeaves } = await realKit();
    const { id, originalKey } = await upload();
    faults.failAlways('storage.put', 'after');
    await start();
    expect((await settled(id)).thumbnail).toMatchObject({ status: 'failed', attempts: 3, lastError: 'UNEXPECTED_ERROR', renditions: [] });
    faults.heal();
    expect(await storedKeys(storage)).toHaveLength(3);
    await expectSweepLeaves([originalKey], 2);
    await expectOriginalServed(id);
  });

  if (outage) {
    it('the S3 server down during the job: failed with STORAGE_UNAVAILABLE; once it is back the original is served, a retry makes it ready', async () => {
      const { kit, storage, upload, start, settled, expectOriginalServed } = await realKit();
      const { id, originalKey } = await upload();
      await outage.begin();
      try {
        await start();
        expect((await settled(id)).thumbnail).toMatchObject({ status: 'failed', attempts: 3, lastError: 'STORAGE_UNAVAILABLE' });
      } finally {
        await outage.end();
      }
      await expectOriginalServed(id);
      expect(await storedKeys(storage)).toEqual([originalKey]);
      await kit.retry.execute(id);
      const image = await settled(id);
      expect(image.thumbnail.status).toBe('ready');
      await expectRenditionsIntact(storage, image);
    });
  }

  it('the database failing as the job records ready: retried, then ready, and nothing for the sweep to remove', async () => {
    const { faults, storage, upload, start, settled, expectSweepLeaves } = await realKit();
    await start();
    faults.failNext('images.update.ready');
    const { id } = await upload();
    const image = await settled(id);
    expect(image.thumbnail).toMatchObject({ status: 'ready', attempts: 2 });
    await expectRenditionsIntact(storage, image);
    await expectSweepLeaves(image.storageKeys());
  });

  it('the database committing ready but the answer getting lost: the retry finds it done, renders nothing more, leaves no orphan', async () => {
    const watched = watchedResizer(false);
    const { faults, storage, upload, start, settled, expectSweepLeaves } = await realKit(watched.resizer);
    await start();
    faults.failNext('images.update.ready', 1, 'after');
    const { id } = await upload();
    const image = await settled(id);
    expect(faults.injected).toEqual(['images.update.ready']);
    expect(image.thumbnail).toMatchObject({ status: 'ready', attempts: 1 });
    expect(watched.renders()).toBe(1);
    await expectRenditionsIntact(storage, image);
    await expectSweepLeaves(image.storageKeys());
  });

  it('the database refusing every ready: failed; the renditions it stored are orphans, and the sweep removes exactly them', async () => {
    const { faults, storage, upload, start, settled, expectOriginalServed, expectSweepLeaves } = await realKit();
    await start();
    faults.failAlways('images.update.ready');
    const { id, originalKey } = await upload();
    expect((await settled(id)).thumbnail).toMatchObject({ status: 'failed', attempts: 3, lastError: 'UNEXPECTED_ERROR', renditions: [] });
    faults.heal();
    expect(await storedKeys(storage)).toHaveLength(3);
    await expectSweepLeaves([originalKey], 2);
    await expectOriginalServed(id);
  });

  it('a delete while the resizer runs: no row, and neither the original nor any rendition left in the store', async () => {
    const held = watchedResizer(true);
    const { kit, storage, images, upload, start } = await realKit(held.resizer);
    await start();
    const { id, deleteToken } = await upload();
    await held.renderBegun;
    await kit.deleteImage.execute(id, deleteToken);
    held.release();
    await untilIdle(kit.scheduler, 15_000);
    expect(await images.inner.findById(id)).toBeNull();
    expect(await storedKeys(storage)).toEqual([]);
    expect(await kit.sweep.execute()).toMatchObject({ examined: 0, deleted: 0, finished: true });
  });

  it('a delete whose object deletes fail: it rejects after the row is gone, and the sweep removes exactly what it left', async () => {
    const { kit, faults, storage, images, upload, start, settled, expectSweepLeaves } = await realKit();
    await start();
    const { id, deleteToken } = await upload();
    expect((await settled(id)).thumbnail.status).toBe('ready');
    faults.failAlways('storage.delete');
    await expect(kit.deleteImage.execute(id, deleteToken)).rejects.toThrow(InjectedFault);
    faults.heal();
    expect(await images.inner.findById(id)).toBeNull();
    expect(await storedKeys(storage)).toHaveLength(3);
    await expectSweepLeaves([], 3);
  });

  it('randomized faults racing deletes, sweeps and reconciles: ready images have every object; a sweep leaves no orphan', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(faultOperation, { minLength: 10, maxLength: 30 }), async (seed, operations) => {
        const stack = await openStack();
        try {
          await runFaultSequence(seed, operations, { ...stack, resizer: sharpResizer, imageBytes: (variant) => VARIANTS[variant]! });
        } finally {
          await stack.close();
        }
      }),
      { numRuns: randomRuns },
    );
  });
}

describe('faults around FsStorageService and MikroOrmImageRepository on libsql, with sharp', () => {
  faultScenarios(fsOnLibsql, { randomRuns: Number(process.env.REAL_FAULT_RUNS ?? 12) });
});

describe.skipIf(!postgresReachable)('faults around MinioStorageService on s3rver and MikroOrmImageRepository on PostgreSQL, with sharp', () => {
  let s3: S3TestServer;
  beforeAll(async () => void (s3 = await startS3Server()));
  afterAll(() => s3?.close());

  faultScenarios(() => minioOnPostgres(s3), {
    // Each run costs a database and a bucket: fewer runs here (PostgreSQL's advisory locks are the new part).
    randomRuns: Number(process.env.REAL_FAULT_RUNS_PG ?? 4),
    outage: { begin: () => s3.stop(), end: () => s3.start() },
  });
});
