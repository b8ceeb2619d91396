import { describe, expect, it } from 'vitest';
import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { FakeImageResizer, fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { ReconcileThumbnails } from '../../src/application/reconcile-thumbnails.js';
import { coreKit, thumbnailHandlers } from '../support/core-kit.js';
import { Faults, FaultyScheduler, untilIdle } from '../support/faults.js';

const MINUTE = 60_000;

/** A kit whose scheduler records what it accepts and is never started: its queue is "lost". */
function lostQueueKit() {
  const scheduler = new FaultyScheduler(new InProcessTaskScheduler({ concurrency: 1 }), new Faults());
  return { kit: coreKit({ scheduler, reconcile: { staleAfterMs: MINUTE } }), scheduler };
}

async function upload(kit: ReturnType<typeof coreKit>, width = 640): Promise<string> {
  return (await kit.upload.execute({ bytes: fakeImageBytes('jpeg', width, 480), filename: 'p.jpg' })).image.id;
}

/** A fresh scheduler (a restarted process) running the kit's GenerateThumbnails, and a reconciler queuing onto it. */
async function restarted(kit: ReturnType<typeof coreKit>) {
  const scheduler = new FaultyScheduler(new InProcessTaskScheduler({ concurrency: 2 }), new Faults());
  await scheduler.start(thumbnailHandlers(kit.generate));
  const reconcile = new ReconcileThumbnails(kit.images, scheduler, kit.clock, kit.thumbnails, { staleAfterMs: MINUTE, maxPerRun: 100 });
  return { scheduler, reconcile };
}

describe('ReconcileThumbnails', () => {
  it('queues a pending image again once nothing has touched it for staleAfterMs, and not before', async () => {
    const { kit } = lostQueueKit();
    const id = await upload(kit);
    const { scheduler, reconcile } = await restarted(kit);

    kit.clock.advance(MINUTE);
    expect(await reconcile.execute()).toBe(0);
    kit.clock.advance(1);
    expect(await reconcile.execute()).toBe(1);
    expect(scheduler.scheduled).toEqual([{ jobId: `thumbnails:${id}`, priority: 'background' }]);
    await untilIdle(scheduler);
    expect((await kit.getImage.execute(id)).thumbnail).toMatchObject({ status: 'ready', attempts: 1 });
  });

  it('runs again an image left processing by a worker that died', async () => {
    const { kit } = lostQueueKit();
    const id = await upload(kit);
    const found = await kit.images.findById(id);
    await kit.images.update(found!.startProcessing(kit.clock.now(), 2));
    const { scheduler, reconcile } = await restarted(kit);

    kit.clock.advance(MINUTE + 1);
    expect(await reconcile.execute()).toBe(1);
    await untilIdle(scheduler);
    // The run that died was try 2; the reconciler's is try 3, the last of THUMBNAIL_ATTEMPTS=3.
    expect((await kit.getImage.execute(id)).thumbnail).toMatchObject({ status: 'ready', attempts: 3 });
  });

  it('leaves a pending image waiting for its retry alone until that retry is overdue by staleAfterMs', async () => {
    const { kit } = lostQueueKit();
    const id = await upload(kit);
    const found = await kit.images.findById(id);
    const retryAt = new Date(kit.clock.now().getTime() + 5 * MINUTE);
    await kit.images.update(found!.scheduleRetry(kit.clock.now(), 'UNEXPECTED_ERROR', retryAt));
    const { reconcile } = await restarted(kit);

    kit.clock.advance(5 * MINUTE + MINUTE);
    expect(await reconcile.execute()).toBe(0);
    kit.clock.advance(1);
    expect(await reconcile.execute()).toBe(1);
  });

  it('never touches ready or failed images, and takes at most maxPerRun, the longest quiet first', async () => {
    const { kit } = lostQueueKit();
    const oldest = await upload(kit, 100);
    kit.clock.advance(1000);
    const middle = await upload(kit, 200);
    kit.clock.advance(1000);
    await upload(kit, 300);
    const ready = await upload(kit, 400);
    await kit.generate.execute(ready, { jobId: 'j', attempt: 1, maxAttempts: 1, retryDelayMs: null });
    const failed = await kit.images.findById(await upload(kit, 500));
    await kit.images.update(failed!.failThumbnails(kit.clock.now(), 'INVALID_IMAGE'));
    const scheduler = new FaultyScheduler(new InProcessTaskScheduler({ concurrency: 1 }), new Faults());
    const reconcile = new ReconcileThumbnails(kit.images, scheduler, kit.clock, kit.thumbnails, { staleAfterMs: MINUTE, maxPerRun: 2 });

    kit.clock.advance(10 * MINUTE);
    expect(await reconcile.execute()).toBe(2);
    expect(scheduler.scheduled.map((s) => s.jobId)).toEqual([`thumbnails:${oldest}`, `thumbnails:${middle}`]);
  });

  it('does not queue a second job for work still waiting in the scheduler', async () => {
    const { kit, scheduler } = lostQueueKit();
    await upload(kit);
    kit.clock.advance(MINUTE + 1);

    expect(await kit.reconcile.execute()).toBe(1);
    expect(scheduler.scheduled).toHaveLength(2); // the upload's, and the reconciler's
    expect(await scheduler.stats()).toMatchObject({ waiting: 1 });
  });

  it('does not run a job twice while it is still running (a slow decode is not a dead worker)', async () => {
    let renders = 0;
    let finishRender!: () => void;
    let renderStarted!: () => void;
    const started = new Promise<void>((resolve) => (renderStarted = resolve));
    const resizer = new FakeImageResizer();
    const render = resizer.render.bind(resizer);
    resizer.render = async (...args) => {
      renders++;
      renderStarted();
      await new Promise<void>((resolve) => (finishRender = resolve));
      return render(...args);
    };
    const kit = coreKit({ resizer, scheduler: new InProcessTaskScheduler({ concurrency: 2 }) });
    await kit.scheduler.start(thumbnailHandlers(kit.generate));
    const id = await upload(kit);
    await started;

    kit.clock.advance(10 * MINUTE);
    expect(await kit.reconcile.execute()).toBe(1);
    expect(await kit.scheduler.stats()).toMatchObject({ waiting: 0, active: 1 });
    finishRender();
    await untilIdle(kit.scheduler);
    expect(renders).toBe(1);
    expect((await kit.getImage.execute(id)).thumbnail.status).toBe('ready');
  });
});
