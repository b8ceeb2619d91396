import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { FakeImageResizer, fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { InMemoryStorageService } from '../../src/adapters/memory/in-memory-storage-service.js';
import { GenerateThumbnails } from '../../src/application/generate-thumbnails.js';
import { ReconcileThumbnails } from '../../src/application/reconcile-thumbnails.js';
import type { ThumbnailSettings } from '../../src/application/settings.js';
import type { Image, ThumbnailState } from '../../src/domain/image.js';
import type { ImageRepository } from '../../src/ports/image-repository.js';
import type { ImageEvent } from '../../src/ports/image-events.js';
import { coreKit, thumbnailHandlers } from '../support/core-kit.js';
import { Faults, FaultyImageRepository, FaultyScheduler, FaultyStorage, untilIdle } from '../support/faults.js';

const MINUTE = 60_000;

/** A kit whose storage, repository and scheduler fail when `faults` say so; its scheduler is not started. */
function faultyKit(thumbnails: Partial<ThumbnailSettings> = {}, options: { beforeDelete?: (key: string) => Promise<void> } = {}) {
  const faults = new Faults();
  const storage = new FaultyStorage(new InMemoryStorageService(), faults, options);
  const images = new FaultyImageRepository(new InMemoryImageRepository(), faults);
  const scheduler = new FaultyScheduler(new InProcessTaskScheduler({ concurrency: 3 }), faults);
  const kit = coreKit({ storage, images, scheduler, thumbnails: { sizes: [150, 300], attempts: 3, backoffMs: 1, ...thumbnails } });
  return { kit, faults, storage, images, scheduler };
}

type Kit = ReturnType<typeof coreKit>;

async function upload(kit: Kit, width = 640): Promise<string> {
  return (await kit.upload.execute({ bytes: fakeImageBytes('jpeg', width, 480), filename: 'p.jpg' })).image.id;
}

function historyOf(images: FaultyImageRepository, id: string): ThumbnailState[] {
  return images.updates.filter((image) => image.id === id).map((image) => image.thumbnail);
}

async function allImages(images: ImageRepository): Promise<Image[]> {
  const all: Image[] = [];
  let cursor: string | null = null;
  do {
    const page = await images.list({ limit: 100, cursor });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** Keys of the image's objects that are missing from storage. */
async function missingObjects(storage: InMemoryStorageService | FaultyStorage, image: Image): Promise<string[]> {
  const inner = storage instanceof FaultyStorage ? storage.inner : storage;
  const missing: string[] = [];
  for (const key of image.storageKeys()) if ((await inner.get(key)) === null) missing.push(key);
  return missing;
}

/** Resolves with the first event for which `test` holds. */
function nextEvent(kit: Kit, test: (event: ImageEvent) => boolean): Promise<ImageEvent> {
  return new Promise((resolve) => {
    const stop = kit.events.subscribe((event) => {
      if (!test(event)) return;
      stop();
      resolve(event);
    });
  });
}

describe('storage or database failing during a job', () => {
  it('storage failing twice: the image shows pending with its next retry and last error, then ready', async () => {
    const { kit, faults, images, storage } = faultyKit();
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    faults.failNext('storage.get', 2);
    const id = await upload(kit);
    await untilIdle(kit.scheduler);

    const history = historyOf(images, id);
    expect(history.map((t) => t.status)).toEqual(['processing', 'pending', 'processing', 'pending', 'processing', 'ready']);
    expect(history[1]).toMatchObject({ attempts: 1, lastError: 'UNEXPECTED_ERROR', renditions: [] });
    expect(history[1]!.nextRetryAt!.getTime()).toBeGreaterThan(kit.clock.now().getTime());
    const image = await kit.getImage.execute(id);
    expect(image.thumbnail).toMatchObject({ status: 'ready', attempts: 3, lastError: null, nextRetryAt: null });
    expect(await missingObjects(storage, image)).toEqual([]);
  });

  it('storage failing on every try: failed with the reason after every attempt, and ready after a retry once storage is back', async () => {
    const { kit, faults, storage } = faultyKit();
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    faults.failAlways('storage.get');
    const id = await upload(kit);
    await untilIdle(kit.scheduler);
    expect((await kit.getImage.execute(id)).thumbnail).toMatchObject({ status: 'failed', attempts: 3, lastError: 'UNEXPECTED_ERROR', nextRetryAt: null });

    faults.heal();
    await kit.retry.execute(id);
    await untilIdle(kit.scheduler);
    const image = await kit.getImage.execute(id);
    expect(image.thumbnail.status).toBe('ready');
    expect(await missingObjects(storage, image)).toEqual([]);
  });

  it('a rendition write failing (even one that landed) is retried; nothing is recorded before every rendition is stored', async () => {
    const { kit, faults, images, storage } = faultyKit();
    const id = await upload(kit);
    faults.failNext('storage.put', 1, 'after');
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    await untilIdle(kit.scheduler);

    expect(historyOf(images, id).map((t) => t.status)).toEqual(['processing', 'pending', 'processing', 'ready']);
    expect(await missingObjects(storage, await kit.getImage.execute(id))).toEqual([]);
  });

  it('the database failing as the job records ready: retried, and ready', async () => {
    const { kit, faults, storage } = faultyKit();
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    faults.failNext('images.update.ready');
    const id = await upload(kit);
    await untilIdle(kit.scheduler);
    const image = await kit.getImage.execute(id);
    expect(image.thumbnail).toMatchObject({ status: 'ready', attempts: 2 });
    expect(await missingObjects(storage, image)).toEqual([]);
  });

  it('the database committing ready but the answer getting lost: the retry finds it done and renders nothing', async () => {
    const { kit, faults } = faultyKit();
    let renders = 0;
    const render = kit.resizer.render.bind(kit.resizer);
    kit.resizer.render = (...args) => (renders++, render(...args));
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    faults.failNext('images.update.ready', 1, 'after');
    const id = await upload(kit);
    await untilIdle(kit.scheduler);
    expect((await kit.getImage.execute(id)).thumbnail).toMatchObject({ status: 'ready', attempts: 1 });
    expect(renders).toBe(1);
  });

  it('the database down when the last try records its failure: left processing, then failed through the reconciler', async () => {
    const { kit, faults } = faultyKit({ attempts: 1 });
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    faults.failNext('storage.get').failNext('images.update.failed');
    const id = await upload(kit);
    await untilIdle(kit.scheduler);
    expect((await kit.getImage.execute(id)).thumbnail.status).toBe('processing');

    expect(await kit.reconcile.execute()).toBe(0);
    kit.clock.advance(MINUTE + 1);
    expect(await kit.reconcile.execute()).toBe(1);
    await untilIdle(kit.scheduler);
    // The try whose outcome was lost counts, as a worker killed mid-job does: the one try is spent.
    expect((await kit.getImage.execute(id)).thumbnail).toMatchObject({ status: 'failed', lastError: 'WORKER_LOST' });
  });
});

describe('a process killed mid-way', () => {
  it('between the database commit and the enqueue (schedule() threw): the reconciler queues it and it becomes ready', async () => {
    const { kit, faults, scheduler } = faultyKit();
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    faults.failNext('scheduler.schedule');
    const id = await upload(kit);
    expect(kit.logger.entries.map((e) => e.message)).toContain('could not schedule thumbnail generation');
    await untilIdle(kit.scheduler);
    expect((await kit.getImage.execute(id)).thumbnail.status).toBe('pending');

    kit.clock.advance(MINUTE + 1);
    expect(await kit.reconcile.execute()).toBe(1);
    expect(scheduler.scheduled).toEqual([{ jobId: `thumbnails:${id}`, priority: 'background' }]);
    await untilIdle(kit.scheduler);
    expect((await kit.getImage.execute(id)).thumbnail.status).toBe('ready');
  });

  it('an in-process scheduler stopped with work queued and a retry waiting: a new one plus the reconciler loses nothing', async () => {
    const { kit, faults } = faultyKit({ backoffMs: MINUTE, sizes: [300] });
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    faults.failNext('storage.get');
    const retrying = nextEvent(kit, (e) => e.type === 'thumbnails.updated' && e.status === 'pending');
    const waitingForRetry = await upload(kit, 100);
    await retrying;
    const queued = await Promise.all([upload(kit, 200), upload(kit, 300), upload(kit, 400)]);
    await kit.scheduler.stop(); // the old process goes; its queue and retry timer with it
    expect(await kit.scheduler.stats()).toMatchObject({ waiting: 4, active: 0, delayed: 0 });

    const scheduler = new InProcessTaskScheduler({ concurrency: 2 });
    await scheduler.start(thumbnailHandlers(kit.generate));
    const reconcile = new ReconcileThumbnails(kit.images, scheduler, kit.clock, kit.thumbnails, { staleAfterMs: MINUTE, maxPerRun: 100 });
    kit.clock.advance(10 * MINUTE);
    expect(await reconcile.execute()).toBe(4);
    await untilIdle(scheduler);
    for (const id of [waitingForRetry, ...queued]) expect((await kit.getImage.execute(id)).thumbnail.status).toBe('ready');
  });

  it('in the middle of a job: the image is left processing, and the new process runs it again', async () => {
    const { kit, storage } = faultyKit();
    let renderStarted!: () => void;
    const started = new Promise<void>((resolve) => (renderStarted = resolve));
    const dying = new FakeImageResizer();
    dying.render = () => (renderStarted(), new Promise(() => undefined)); // the process dies here: never resumes
    const deadWorker = new GenerateThumbnails(kit.storage, kit.images, dying, kit.events, kit.clock, kit.limits, kit.thumbnails);
    await kit.scheduler.start(thumbnailHandlers(deadWorker));
    const id = await upload(kit);
    await started;
    expect((await kit.getImage.execute(id)).thumbnail.status).toBe('processing');

    const scheduler = new InProcessTaskScheduler({ concurrency: 1 });
    await scheduler.start(thumbnailHandlers(kit.generate));
    const reconcile = new ReconcileThumbnails(kit.images, scheduler, kit.clock, kit.thumbnails, { staleAfterMs: MINUTE, maxPerRun: 100 });
    kit.clock.advance(MINUTE + 1);
    expect(await reconcile.execute()).toBe(1);
    await untilIdle(scheduler);
    const image = await kit.getImage.execute(id);
    expect(image.thumbnail.status).toBe('ready');
    expect(await missingObjects(storage, image)).toEqual([]);
  });
});

describe('a delete still in flight when the checksum lock is let go', () => {
  // releaseUnreferenced (src/application/shared-objects.ts) waits for every delete to settle before it
  // lets the lock go, even when one fails: otherwise a straggling delete could land after a job has
  // taken the lock, rewritten that key and recorded it. (SweepOrphans releases one key per hold.)
  it('never leaves a ready image pointing at an object deleted by a straggler', async () => {
    let releaseStraggler!: () => void;
    const straggling = new Promise<void>((resolve) => (releaseStraggler = resolve));
    const straggler: { key?: string } = {};
    const { kit, faults, storage } = faultyKit({}, {
      beforeDelete: (key) => (key === straggler.key ? straggling : Promise.resolve()),
    });
    const bytes = fakeImageBytes('jpeg', 640, 480);
    const first = await kit.upload.execute({ bytes, filename: 'a.jpg' });
    await kit.generate.execute(first.image.id, { jobId: 'a', attempt: 1, maxAttempts: 1, retryDelayMs: null });
    const twin = (await kit.upload.execute({ bytes, filename: 'b.jpg' })).image.id;
    const [small, large] = (await kit.getImage.execute(first.image.id)).thumbnail.renditions.map((r) => r.key);
    straggler.key = large;

    faults.failNext('storage.delete'); // the first rendition's delete fails at once; the second one hangs
    const deleting = kit.deleteImage.execute(first.image.id, first.deleteToken).catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    // The twin's job renders and stores the same keys, as soon as the checksum lock lets it.
    const generating = kit.generate.execute(twin, { jobId: 'b', attempt: 1, maxAttempts: 1, retryDelayMs: null });
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    releaseStraggler();
    await generating;
    expect(await deleting).toBeInstanceOf(Error);

    const image = await kit.getImage.execute(twin);
    expect(image.thumbnail.status).toBe('ready');
    expect(small).toBeDefined();
    expect(await missingObjects(storage, image)).toEqual([]);
  });
});

/** A small seeded PRNG, so a failing run can be replayed from fast-check's seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const operation = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('upload' as const), variant: fc.integer({ min: 0, max: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('sweep' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('reconcile' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('pause' as const) }), weight: 2 },
);

const FAULTY = ['storage.put', 'storage.get', 'storage.delete', 'storage.list', 'images', 'scheduler.schedule'];

describe('randomized faults, with deletes, sweeps and reconciles racing the jobs', () => {
  it('every ready image has all its objects; afterwards a sweep leaves no orphan and never deleted a referenced object', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(operation, { minLength: 10, maxLength: 40 }), async (seed, operations) => {
        const random = mulberry32(seed);
        const violations: string[] = [];
        const rows: { repository?: ImageRepository } = {};
        const { kit, faults, storage, images } = faultyKit({}, {
          // Whoever deletes an object must do it while no image references it (read past the faults).
          beforeDelete: async (key) => {
            const checksum = key.split('/')[2] ?? '';
            const users = await rows.repository!.findByChecksum(checksum);
            if (users.some((image) => image.storageKeys().includes(key))) violations.push(key);
          },
        });
        rows.repository = images.inner;
        await kit.scheduler.start(thumbnailHandlers(kit.generate));
        faults.failRandomly(FAULTY, 0.15, random).slowDown(2, random);

        const uploaded: { id: string; token: string }[] = [];
        const racing: Promise<unknown>[] = [];
        for (const op of operations) {
          if (op.kind === 'upload') {
            const bytes = fakeImageBytes('jpeg', 100 + op.variant, 80);
            const result = await kit.upload.execute({ bytes, filename: 'r.jpg' }).catch(() => null);
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
        await kit.scheduler.stop();
      }),
      { numRuns: Number(process.env.FAULT_RUNS ?? 60) },
    );
  });
});
