import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retryDelayMs } from '../../src/adapters/bullmq/bullmq-backoff.js';
import {
  BullMqTaskScheduler,
  type BullMqTaskSchedulerOptions,
} from '../../src/adapters/bullmq/bullmq-task-scheduler.js';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';
import { InvalidImageError } from '../../src/domain/errors.js';
import { PermanentTaskError, type TaskScheduler, type TaskType } from '../../src/ports/task-scheduler.js';
import { Harness, schedule, taskSchedulerContract } from '../contracts/task-scheduler.contract.js';
import { freePort } from '../support/free-port.js';
import { serviceReachable, TEST_REDIS_URL } from '../support/real-services.js';

const redisReachable = await serviceReachable('Redis', TEST_REDIS_URL);

const connection = { url: TEST_REDIS_URL };
const prefix = 'imagehost-test';
const newQueueName = () => `tasks-${randomUUID()}`;

/** Deletes everything the queue left in Redis, whatever state its jobs are in. */
async function obliterate(queueName: string): Promise<void> {
  const admin = new Queue(queueName, { connection, prefix });
  try {
    await admin.obliterate({ force: true });
  } finally {
    await admin.close();
  }
}

describe.skipIf(!redisReachable)('BullMqTaskScheduler on Redis', () => {
  taskSchedulerContract('BullMqTaskScheduler', ({ concurrency = 2 } = {}) => {
    const queueName = newQueueName();
    const scheduler = new BullMqTaskScheduler({ connection, prefix, queueName, concurrency });
    const close = async () => {
      await scheduler.stop();
      await obliterate(queueName);
    };
    return Promise.resolve({ scheduler, close });
  });

  describe('BullMQ specifics', () => {
    const cleanUps: Array<() => unknown> = [];
    let queueName = '';

    beforeEach(() => {
      queueName = newQueueName();
    });

    afterEach(async () => {
      for (const cleanUp of cleanUps.splice(0)) await cleanUp();
      await obliterate(queueName);
    });

    function create(options: Partial<BullMqTaskSchedulerOptions> = {}): BullMqTaskScheduler {
      const scheduler = new BullMqTaskScheduler({ connection, prefix, queueName, concurrency: 1, ...options });
      cleanUps.push(() => scheduler.stop());
      return scheduler;
    }

    async function started(options: Partial<BullMqTaskSchedulerOptions> = {}) {
      const scheduler = create(options);
      const harness = new Harness();
      cleanUps.unshift(() => harness.openAll());
      await scheduler.start(harness.handlers);
      return { scheduler, harness };
    }

    function admin(): Queue {
      const queue = new Queue(queueName, { connection, prefix });
      cleanUps.push(() => queue.close());
      return queue;
    }

    const stats = (scheduler: TaskScheduler, expected: Record<string, number>) =>
      vi.waitFor(async () => expect(await scheduler.stats()).toMatchObject(expected), { timeout: 5_000, interval: 10 });

    it('keeps a task scheduled by one process for a worker process started later', async () => {
      const api = create();
      await schedule(api, 'durable');
      await api.stop();

      const { harness } = await started();
      await harness.until('durable returned', () => harness.settled('durable').length === 1);
      expect(harness.callsOf('durable')[0]?.context).toMatchObject({ jobId: 'job-durable', attempt: 1 });
    });

    it('runs a job id scheduled by two processes at once only once', async () => {
      const [apiA, apiB] = [create(), create()];
      await Promise.all([schedule(apiA, 'twice'), schedule(apiB, 'twice'), schedule(apiB, 'twice')]);
      expect(await apiA.stats()).toMatchObject({ waiting: 1 });

      const { scheduler, harness } = await started();
      await harness.until('twice returned', () => harness.settled('twice').length === 1);
      await schedule(scheduler, 'sentinel');
      await harness.until('sentinel returned', () => harness.settled('sentinel').length === 1);
      expect(harness.callsOf('twice')).toHaveLength(1);
    });

    it('accepts job ids that BullMQ would refuse as its own ids', async () => {
      const { scheduler, harness } = await started();
      for (const jobId of ['thumbnails:abc', '42', 'a:b:c']) {
        await scheduler.schedule('generate-thumbnails', { imageId: jobId }, { jobId });
      }
      await harness.until('all returned', () => harness.calls.filter((call) => call.outcome === 'returned').length === 3);
      expect(harness.calls.map((call) => call.context.jobId)).toEqual(['thumbnails:abc', '42', 'a:b:c']);
    });

    it('waits before a retry exactly the delay it announced to the handler', async () => {
      const queue = admin();
      const { scheduler, harness } = await started();
      const startedAt: number[] = [];
      harness.on('flaky', ({ attempt }) => {
        startedAt.push(Date.now());
        if (attempt === 1) throw new Error('transient');
      });

      await schedule(scheduler, 'flaky', { attempts: 2, backoffMs: 300 });
      await stats(scheduler, { delayed: 1 });
      const announced = harness.callsOf('flaky')[0]?.context.retryDelayMs;
      expect(announced).toEqual(expect.any(Number));
      const delayed = await queue.getJob((await queue.getDeduplicationJobId('job-flaky')) ?? 'missing');
      expect(delayed?.delay).toBe(announced);

      await harness.until('flaky returned', () => harness.settled('flaky').length === 2);
      // The first try threw after startedAt[0], so BullMQ's wait began no earlier.
      expect((startedAt[1] ?? 0) - (startedAt[0] ?? 0)).toBeGreaterThanOrEqual(announced ?? Infinity);
      expect(harness.callsOf('flaky')[1]?.context).toMatchObject({ attempt: 2, retryDelayMs: null });
    });

    it('fails a PermanentTaskError at once, keeps the failed job visible, and logs why', async () => {
      const queue = admin();
      const logger = new MemoryLogger();
      const { scheduler, harness } = await started({ logger });
      harness.on('corrupt', () => {
        throw new PermanentTaskError('INVALID_IMAGE', { cause: new InvalidImageError('truncated header') });
      });
      harness.on('exhausted', () => {
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      });

      await schedule(scheduler, 'corrupt', { attempts: 3 });
      await schedule(scheduler, 'exhausted', { attempts: 2, backoffMs: 1 });
      await stats(scheduler, { failed: 2, delayed: 0, waiting: 0, active: 0 });

      const [failed] = await queue.getFailed(0, 10).then((jobs) => jobs.filter((job) => job.deduplicationId === 'job-corrupt'));
      expect(failed).toMatchObject({ failedReason: 'INVALID_IMAGE', attemptsMade: 1 });
      expect(harness.callsOf('corrupt')).toHaveLength(1);
      expect(logger.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.fields)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ jobId: 'job-exhausted', attempt: 2, maxAttempts: 2, code: 'ENOSPC', message: 'disk full' }),
          expect.objectContaining({ jobId: 'job-corrupt', attempt: 1, maxAttempts: 3, code: 'INVALID_IMAGE', permanent: true }),
        ]),
      );
      expect(logger.entries.filter((entry) => entry.level === 'warn')).toHaveLength(2);
    });

    it('fails a job of a type it has no handler for, without retrying it', async () => {
      const queue = admin();
      const { scheduler } = await started();
      await queue.add('resize', { imageId: 'a' }, { attempts: 3 });

      await stats(scheduler, { failed: 1, waiting: 0, delayed: 0 });
      const [failed] = await queue.getFailed(0, 0);
      expect(failed?.failedReason).toMatch(/No handler for task type "resize"/);
      expect(failed?.attemptsMade).toBe(1);
    });

    it('runs again, on another worker, a task whose worker process was killed', async () => {
      const api = create();
      await schedule(api, 'orphan', { attempts: 3 });
      const crashed = spawnStuckWorker(queueName, 1_000);
      cleanUps.push(() => crashed.kill('SIGKILL'));
      await stats(api, { active: 1 });
      crashed.kill('SIGKILL');

      const { harness } = await started({ lockDurationMs: 1_000, stalledIntervalMs: 250 });
      await harness.until('orphan returned', () => harness.settled('orphan').length === 1);
      // The stalled rerun does not count as a try: BullMQ counts stalls apart (maxStalledCount).
      expect(harness.callsOf('orphan')[0]?.context).toMatchObject({ attempt: 1, maxAttempts: 3 });
      await stats(api, { completed: 1, active: 0, failed: 0 });
    });

    it('hands a task still running at the end of the stop grace back to the queue: another worker takes it at once', async () => {
      const api = create();
      const first = await started({ lockDurationMs: 60_000 });
      const gate = first.harness.gate();
      first.harness.on('interrupted', () => gate.opened);
      // Scheduled only once the handler is scripted: a job queued before, taken by the worker as it
      // started, could run unscripted and finish before the stop (seen under load).
      await schedule(api, 'interrupted', { attempts: 3 });
      await first.harness.until('interrupted started', () => first.harness.callsOf('interrupted').length === 1);

      await first.scheduler.stop({ graceMs: 100 });
      await stats(api, { active: 0, waiting: 1 });

      // Long before the 60 s lock would have expired: the job was handed back, not left to stall.
      const second = await started({ lockDurationMs: 60_000 });
      await second.harness.until('interrupted returned', () => second.harness.settled('interrupted').length === 1);
      await stats(api, { completed: 1, active: 0, failed: 0 });
    });

    it('tells schedule() and stats() callers QUEUE_UNAVAILABLE within 5 s when Redis does not answer', async () => {
      const offline = new BullMqTaskScheduler({ connection: { host: '127.0.0.1', port: await freePort() }, prefix, queueName, concurrency: 1 });
      cleanUps.push(() => offline.stop());
      const unavailable = { code: 'QUEUE_UNAVAILABLE' };

      await Promise.all([
        expect(schedule(offline, 'a')).rejects.toMatchObject(unavailable),
        expect(offline.stats()).rejects.toMatchObject(unavailable),
      ]);
    });

    it('rejects bad arguments and misuse with a clear error', async () => {
      expect(() => create({ concurrency: 0 })).toThrow(/concurrency/);
      const scheduler = create();
      const harness = new Harness();

      await expect(scheduler.schedule('resize' as TaskType, { imageId: 'a' }, { jobId: 'x' })).rejects.toThrow(/resize/);
      await expect(schedule(scheduler, 'a', { attempts: 0 })).rejects.toThrow(/attempts/);
      await expect(schedule(scheduler, 'a', { jobId: '' })).rejects.toThrow(/jobId/);
      await scheduler.start(harness.handlers);
      await expect(scheduler.start(harness.handlers)).rejects.toThrow(/only once/);
    });
  });

  it('derives the same jitter for the same job and try, within ±20%, growing per try', () => {
    expect(retryDelayMs('7@1', 1, 1000)).toBe(retryDelayMs('7@1', 1, 1000));
    const delays = [1, 2, 3, 4].map((attempt) => retryDelayMs('7@1', attempt, 1000));
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(1000 * 2 ** i * 0.8);
      expect(delay).toBeLessThanOrEqual(1000 * 2 ** i * 1.2);
    });
    const spread = new Set(Array.from({ length: 20 }, (_, i) => retryDelayMs(`${i}@1`, 1, 1000)));
    expect(spread.size).toBeGreaterThan(10);
  });
});

/**
 * A worker process (plain BullMQ, as any of ours would look from Redis) that takes one job and never
 * finishes it, to be killed with SIGKILL: its lock is left to expire, as after a crash.
 */
function spawnStuckWorker(queueName: string, lockDuration: number): ChildProcess {
  const script = `
    import { Worker } from 'bullmq';
    const [queueName, url, prefix, lockDuration] = process.argv.slice(1);
    new Worker(queueName, () => new Promise(() => {}), {
      connection: { url }, prefix, lockDuration: Number(lockDuration), stalledInterval: 250,
    });`;
  const args = ['--input-type=module', '-e', script, queueName, TEST_REDIS_URL, prefix, String(lockDuration)];
  return spawn(process.execPath, args, { cwd: process.cwd(), stdio: 'inherit' });
}
