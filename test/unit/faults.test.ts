import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { FakeImageResizer, fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { GenerateThumbnails } from '../../src/application/generate-thumbnails.js';
import { ReconcileThumbnails } from '../../src/application/reconcile-thumbnails.js';
import type { ImageEvent } from '../../src/ports/image-events.js';
import { thumbnailHandlers, type coreKit } from '../support/core-kit.js';
import { faultyKit, historyOf, missingObjects, untilIdle } from '../support/faults.js';
import { faultOperation, runFaultSequence } from '../support/random-faults.js';

const MINUTE = 60_000;

type Kit = ReturnType<typeof coreKit>;

async function upload(kit: Kit, width = 640): Promise<string> {
  return (await kit.upload.execute({ bytes: fakeImageBytes('jpeg', width, 480), filename: 'p.jpg' })).image.id;
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

describe('randomized faults, with deletes, sweeps and reconciles racing the jobs', () => {
  it('every ready image has all its objects; afterwards a sweep leaves no orphan and never deleted a referenced object', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(faultOperation, { minLength: 10, maxLength: 40 }), (seed, operations) =>
        runFaultSequence(seed, operations, { imageBytes: (variant) => fakeImageBytes('jpeg', 100 + variant, 80) }),
      ),
      { numRuns: Number(process.env.FAULT_RUNS ?? 60) },
    );
  });
});
