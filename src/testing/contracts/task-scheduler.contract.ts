import { afterEach, describe, expect, it } from 'vitest';
import { PermanentTaskError, type TaskHandlers, type TaskScheduler } from '../../ports/task-scheduler.js';
import { Harness, schedule, statsEventually, WAIT_MS } from './task-scheduler-harness.js';

export { Harness, schedule, type Gate } from './task-scheduler-harness.js';

export interface TaskSchedulerSubject {
  scheduler: TaskScheduler;
  close(): Promise<void>;
}

export type TaskSchedulerFactory = (options?: { concurrency?: number }) => Promise<TaskSchedulerSubject>;

const boom = (): never => {
  throw new Error('boom');
};

/**
 * The behaviour every TaskScheduler must have. `factory` builds a fresh subject with an empty queue
 * (choosing its concurrency when asked); `close` stops it and releases what it holds.
 */
export function taskSchedulerContract(name: string, factory: TaskSchedulerFactory): void {
  describe(`TaskScheduler contract: ${name}`, () => {
    const open: Array<{ subject: TaskSchedulerSubject; harness: Harness }> = [];

    async function started(options?: { concurrency?: number }): Promise<{ scheduler: TaskScheduler; harness: Harness }> {
      const subject = await factory(options);
      const harness = new Harness();
      open.push({ subject, harness });
      await subject.scheduler.start(harness.handlers);
      return { scheduler: subject.scheduler, harness };
    }

    /** With concurrency 1 and FIFO order, once this sentinel has run every task queued before it has run too. */
    async function drain(scheduler: TaskScheduler, harness: Harness): Promise<void> {
      const sentinel = `sentinel-${harness.calls.length}`;
      await schedule(scheduler, sentinel);
      await harness.until(`${sentinel} returned`, () => harness.settled(sentinel).length === 1);
    }

    afterEach(async () => {
      const subjects = open.splice(0);
      for (const { harness } of subjects) harness.openAll();
      await Promise.all(subjects.map(({ subject }) => subject.close()));
    });

    it('runs a scheduled task once with its payload, after schedule has resolved', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      const gate = harness.gate();
      harness.on('a', () => gate.opened);

      // Were schedule to wait for the task, this await would never return: the gate opens only after it.
      await schedule(scheduler, 'a');
      gate.open();
      await harness.until('a returned', () => harness.settled('a').length === 1);
      await drain(scheduler, harness);

      expect(harness.callsOf('a')).toEqual([
        { imageId: 'a', context: { jobId: 'job-a', attempt: 1, maxAttempts: 1, retryDelayMs: null }, outcome: 'returned' },
      ]);
    });

    it('runs a job id scheduled again while it waits or runs only once', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      const gate = harness.gate();
      harness.on('running', () => gate.opened);
      await schedule(scheduler, 'running');
      await harness.until('running started', () => harness.callsOf('running').length === 1);

      await schedule(scheduler, 'running');
      await schedule(scheduler, 'queued');
      await schedule(scheduler, 'queued');
      gate.open();
      await drain(scheduler, harness);

      expect(harness.callsOf('running')).toHaveLength(1);
      expect(harness.callsOf('queued')).toHaveLength(1);
    });

    it('runs a job id again once its previous run has completed or failed', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      let fail = true;
      harness.on('a', () => {
        if (fail) throw new PermanentTaskError('corrupt');
      });

      await schedule(scheduler, 'a');
      await statsEventually(scheduler, (stats) => expect(stats.failed).toBeGreaterThanOrEqual(1));
      fail = false;
      await schedule(scheduler, 'a');
      await statsEventually(scheduler, (stats) => expect(stats.completed).toBeGreaterThanOrEqual(1));
      await schedule(scheduler, 'a');
      await harness.until('a ran 3 times', () => harness.settled('a').length === 3);

      expect(harness.settled('a').map((call) => call.outcome)).toEqual(['threw', 'returned', 'returned']);
    });

    it('retries a throwing handler with exponential backoff up to `attempts`, then fails it', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      harness.on('a', boom);

      await schedule(scheduler, 'a', { attempts: 5, backoffMs: 20 });
      await harness.until('a tried 5 times', () => harness.settled('a').length === 5);
      await statsEventually(scheduler, (stats) => expect(stats).toMatchObject({ failed: 1, delayed: 0, waiting: 0 }));

      const contexts = harness.callsOf('a').map((call) => call.context);
      expect(contexts.map((c) => [c.jobId, c.attempt, c.maxAttempts])).toEqual([1, 2, 3, 4, 5].map((n) => ['job-a', n, 5]));
      expect(contexts[4]?.retryDelayMs).toBeNull();
      const delays = contexts.slice(0, 4).map((c) => c.retryDelayMs ?? Number.NaN);
      delays.forEach((delay, i) => {
        // About 20 × 2^i; the tolerance admits any reasonable jitter.
        expect(delay).toBeGreaterThanOrEqual(20 * 2 ** i * 0.75);
        expect(delay).toBeLessThanOrEqual(20 * 2 ** i * 1.25);
        if (i > 0) expect(delay).toBeGreaterThan(delays[i - 1] ?? Infinity);
      });
    });

    it('does not retry a handler that throws PermanentTaskError', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      harness.on('a', () => {
        throw new PermanentTaskError('corrupt input');
      });

      await schedule(scheduler, 'a', { attempts: 5, backoffMs: 20 });
      await statsEventually(scheduler, (stats) => expect(stats).toMatchObject({ failed: 1, delayed: 0, waiting: 0 }));

      expect(harness.callsOf('a')).toHaveLength(1);
    });

    it('completes a task that succeeds on its third try of five', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      harness.on('a', ({ attempt }) => {
        if (attempt < 3) throw new Error(`transient failure ${attempt}`);
      });

      await schedule(scheduler, 'a', { attempts: 5, backoffMs: 20 });
      await statsEventually(scheduler, (stats) => expect(stats).toMatchObject({ completed: 1, failed: 0, delayed: 0 }));

      const calls = harness.callsOf('a');
      expect(calls.map((call) => [call.context.attempt, call.outcome])).toEqual([
        [1, 'threw'],
        [2, 'threw'],
        [3, 'returned'],
      ]);
      expect(calls[2]?.context.retryDelayMs).not.toBeNull();
    });

    it('runs at most `concurrency` tasks at once', async () => {
      const { scheduler, harness } = await started({ concurrency: 2 });
      const gate = harness.gate();
      let running = 0;
      let mostAtOnce = 0;
      for (const id of ['a', 'b', 'c']) {
        harness.on(id, async () => {
          mostAtOnce = Math.max(mostAtOnce, ++running);
          await gate.opened;
          running--;
        });
        await schedule(scheduler, id);
      }

      await harness.until('two tasks started', () => harness.calls.length === 2);
      await statsEventually(scheduler, (stats) => expect(stats).toMatchObject({ active: 2, waiting: 1 }));
      expect(harness.calls).toHaveLength(2);
      gate.open();
      await harness.until('all three returned', () => harness.calls.filter((c) => c.outcome === 'returned').length === 3);

      expect(mostAtOnce).toBe(2);
    });

    it('stop waits for in-flight work, is idempotent, and starts nothing new', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      const gate = harness.gate();
      const events: string[] = [];
      harness.on('in-flight', async () => {
        await gate.opened;
        events.push('handler finished');
      });
      await schedule(scheduler, 'in-flight');
      await harness.until('in-flight started', () => harness.callsOf('in-flight').length === 1);
      await schedule(scheduler, 'queued-before-stop');

      const stopping = Promise.all([scheduler.stop(), scheduler.stop()]).then(() => events.push('stopped'));
      await new Promise((resolve) => setImmediate(resolve));
      gate.open();
      await stopping;
      await scheduler.stop();
      await schedule(scheduler, 'scheduled-after-stop');

      expect(events).toEqual(['handler finished', 'stopped']);
      expect(harness.calls.map((call) => call.imageId)).toEqual(['in-flight']);
      expect(await scheduler.stats()).toMatchObject({ active: 0, completed: 1, waiting: 2 });
    });

    it('stop with a grace period waits for a task that finishes within it', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      const gate = harness.gate();
      harness.on('quick', () => gate.opened);
      await schedule(scheduler, 'quick');
      await harness.until('quick started', () => harness.callsOf('quick').length === 1);

      const stopping = scheduler.stop({ graceMs: WAIT_MS });
      gate.open();
      await stopping;

      expect(harness.settled('quick').map((call) => call.outcome)).toEqual(['returned']);
    });

    it('stop with a grace period resolves once it has passed, with a task still running', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      const gate = harness.gate();
      harness.on('stuck', () => gate.opened);
      await schedule(scheduler, 'stuck');
      await harness.until('stuck started', () => harness.callsOf('stuck').length === 1);

      await scheduler.stop({ graceMs: 100 });

      expect(harness.settled('stuck')).toEqual([]);
    });

    it('reports waiting, active, delayed, completed and failed tasks', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      const gate = harness.gate();
      harness.on('blocked', () => gate.opened);
      await schedule(scheduler, 'blocked');
      await harness.until('blocked started', () => harness.callsOf('blocked').length === 1);
      await statsEventually(scheduler, (stats) => expect(stats).toMatchObject({ waiting: 0, active: 1, delayed: 0 }));

      await schedule(scheduler, 'queued');
      await statsEventually(scheduler, (stats) => expect(stats).toMatchObject({ waiting: 1, active: 1 }));

      gate.open();
      await statsEventually(scheduler, (stats) => {
        expect(stats).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
        expect(stats.completed).toBeGreaterThanOrEqual(2);
      });

      harness.on('corrupt', () => {
        throw new PermanentTaskError('corrupt');
      });
      await schedule(scheduler, 'corrupt', { attempts: 3 });
      await statsEventually(scheduler, (stats) => expect(stats.failed).toBeGreaterThanOrEqual(1));

      harness.on('flaky', boom);
      await schedule(scheduler, 'flaky', { attempts: 2, backoffMs: 60_000 });
      await statsEventually(scheduler, (stats) => expect(stats).toMatchObject({ waiting: 0, active: 0, delayed: 1 }));

      // A job id waiting for its retry is still taken, so scheduling it again changes nothing.
      await schedule(scheduler, 'flaky', { attempts: 2, backoffMs: 20 });
      expect(await scheduler.stats()).toMatchObject({ waiting: 0, active: 0, delayed: 1 });
      expect(harness.callsOf('flaky')).toHaveLength(1);
    });

    it('runs `background` tasks after the `normal` tasks already waiting', async () => {
      const { scheduler, harness } = await started({ concurrency: 1 });
      const gate = harness.gate();
      harness.on('blocker', () => gate.opened);
      await schedule(scheduler, 'blocker');
      await harness.until('blocker started', () => harness.callsOf('blocker').length === 1);

      await schedule(scheduler, 'bg-1', { priority: 'background' });
      await schedule(scheduler, 'normal-1');
      await schedule(scheduler, 'bg-2', { priority: 'background' });
      await schedule(scheduler, 'normal-2', { priority: 'normal' });
      gate.open();
      await harness.until('all returned', () => harness.calls.filter((c) => c.outcome === 'returned').length === 5);

      expect(harness.calls.map((call) => call.imageId)).toEqual(['blocker', 'normal-1', 'normal-2', 'bg-1', 'bg-2']);
    });

    it('refuses to start without a handler for every task type, naming the type', async () => {
      const subject = await factory();
      open.push({ subject, harness: new Harness() });

      await expect(subject.scheduler.start({} as TaskHandlers)).rejects.toThrow(/generate-thumbnails/);
      const notAFunction = { 'generate-thumbnails': 'generate' } as unknown as TaskHandlers;
      await expect(subject.scheduler.start(notAFunction)).rejects.toThrow(/generate-thumbnails/);
    });
  });
}
