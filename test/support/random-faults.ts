import fc from 'fast-check';
import { expect } from 'vitest';
import type { ImageRepository } from '../../src/ports/image-repository.js';
import type { ImageResizer } from '../../src/ports/image-resizer.js';
import type { StorageService } from '../../src/ports/storage-service.js';
import { thumbnailHandlers } from './core-kit.js';
import { allImages, faultyKit, missingObjects, untilIdle } from './faults.js';

const MINUTE = 60_000;

/** A small seeded PRNG, so a failing run can be replayed from fast-check's seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One step of a randomized run: an upload of one of four images, a delete, a sweep, a reconcile or a pause. */
export const faultOperation = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('upload' as const), variant: fc.integer({ min: 0, max: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('sweep' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('reconcile' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('pause' as const) }), weight: 2 },
);

export type FaultOperation = typeof faultOperation extends fc.Arbitrary<infer T> ? T : never;

const FAULTY = ['storage.put', 'storage.get', 'storage.delete', 'storage.list', 'images', 'scheduler.schedule'];

export interface FaultSequenceSubject {
  /** The bytes of upload variant 0 to 3: four different images. */
  readonly imageBytes: (variant: number) => Uint8Array;
  /** What the faults wrap; in-memory adapters and the fake resizer when omitted. */
  readonly storage?: StorageService;
  readonly images?: ImageRepository;
  readonly resizer?: ImageResizer;
}

/**
 * Runs `operations` with 15% of storage, database and scheduler calls failing (before or after taking
 * effect, as `seed` decides) while jobs, deletes, sweeps and reconciles race; then heals and checks
 * that every image settled with all its objects, that no object was ever deleted while referenced,
 * and that a full sweep leaves no orphan.
 */
export async function runFaultSequence(seed: number, operations: readonly FaultOperation[], subject: FaultSequenceSubject): Promise<void> {
  const random = mulberry32(seed);
  const violations: string[] = [];
  const rows: { repository?: ImageRepository } = {};
  const { kit, faults, storage, images } = faultyKit({}, {
    storage: subject.storage,
    images: subject.images,
    resizer: subject.resizer,
    // Whoever deletes an object must do it while no image references it (read past the faults).
    beforeDelete: async (key) => {
      const checksum = key.split('/')[2] ?? '';
      const users = await rows.repository!.findByChecksum(checksum);
      if (users.some((image) => image.storageKeys().includes(key))) violations.push(key);
    },
  });
  rows.repository = images.inner;
  await kit.scheduler.start(thumbnailHandlers(kit.generate));
  try {
    faults.failRandomly(FAULTY, 0.15, random).slowDown(2, random);

    const uploaded: { id: string; token: string }[] = [];
    const racing: Promise<unknown>[] = [];
    for (const op of operations) {
      if (op.kind === 'upload') {
        const result = await kit.upload.execute({ bytes: subject.imageBytes(op.variant), filename: 'r.jpg' }).catch(() => null);
        if (result) uploaded.push({ id: result.image.id, token: result.deleteToken });
      } else if (op.kind === 'delete' && uploaded.length > 0) {
        const { id, token } = uploaded[op.pick % uploaded.length]!;
        racing.push(kit.deleteImage.execute(id, token).catch(() => undefined));
      } else if (op.kind === 'sweep') {
        racing.push(kit.sweep.execute().catch(() => undefined));
      } else if (op.kind === 'reconcile') {
        kit.clock.advance(MINUTE + 1);
        racing.push(kit.reconcile.execute().catch(() => undefined));
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await Promise.all(racing);

    faults.heal();
    for (let round = 0; round < 5; round++) {
      await untilIdle(kit.scheduler);
      if (!(await allImages(kit.images)).some((i) => i.thumbnail.status === 'pending' || i.thumbnail.status === 'processing')) break;
      kit.clock.advance(10 * MINUTE);
      await kit.reconcile.execute();
    }
    const survivors = await allImages(kit.images);
    expect(violations, 'objects deleted while referenced').toEqual([]);
    for (const image of survivors) {
      expect(['ready', 'failed']).toContain(image.thumbnail.status);
      expect(image.thumbnail.lastError).not.toBe('ORIGINAL_MISSING');
      expect(await missingObjects(storage, image), `objects of ${image.thumbnail.status} image ${image.id}`).toEqual([]);
    }

    while (!(await kit.sweep.execute()).finished);
    const stored: string[] = [];
    for await (const key of storage.inner.list('')) stored.push(key);
    const referenced = new Set(survivors.flatMap((image) => image.storageKeys()));
    expect(stored.filter((key) => !referenced.has(key)), 'orphans after the sweep').toEqual([]);
    expect(violations, 'objects deleted while referenced, by the sweep').toEqual([]);
  } finally {
    await kit.scheduler.stop();
  }
}
