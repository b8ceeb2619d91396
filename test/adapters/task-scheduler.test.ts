import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { InvalidImageError } from '../../src/domain/errors.js';
import type { Logger } from '../../src/ports/logger.js';
import { PermanentTaskError, type TaskType } from '../../src/ports/task-scheduler.js';
import { Harness, schedule, taskSchedulerContract } from '../contracts/task-scheduler.contract.js';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';

taskSchedulerContract('InProcessTaskScheduler', ({ concurrency = 2 } = {}) => {
  const scheduler = new InProcessTaskScheduler({ concurrency });
  return Promise.resolve({ scheduler, close: () => scheduler.stop() });
});


const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('InProcessTaskScheduler', () => {
  const schedulers: InProcessTaskScheduler[] = [];
  const harnesses: Harness[] = [];

  function create(logger?: Logger): { scheduler: InProcessTaskScheduler; harness: Harness } {
    const scheduler = new InProcessTaskScheduler({ concurrency: 1, logger });
    const harness = new Harness();
    schedulers.push(scheduler);
    harnesses.push(harness);
    return { scheduler, harness };
  }

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    for (const harness of harnesses.splice(0)) harness.openAll();
    await Promise.all(schedulers.splice(0).map((scheduler) => scheduler.stop()));
  });

  it('keeps tasks scheduled before start waiting, and runs them once started', async () => {
    const { scheduler, harness } = create();

    await schedule(scheduler, 'early');
    await nextTurn();
    expect(harness.calls).toHaveLength(0);
    expect(await scheduler.stats()).toMatchObject({ waiting: 1, active: 0 });

    await scheduler.start(harness.handlers);
    await harness.until('early returned', () => harness.settled('early').length === 1);
  });

  it('starts work on a later event-loop turn, after the caller has finished its promise chain', async () => {
    const { scheduler, harness } = create();
    await scheduler.start(harness.handlers);

    await schedule(scheduler, 'a');
    for (let i = 0; i < 100; i++) await Promise.resolve();
    expect(harness.calls).toHaveLength(0);

    await harness.until('a started', () => harness.calls.length === 1);
  });

  it('waits exactly the retry delay it announced, drawn within ±20% of backoffMs × 2^(attempt-1)', async () => {
    // Only retry timers are faked: the scheduler's setImmediate hand-offs stay real, awaited with nextTurn.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0.999999).mockReturnValue(0.5);
    const { scheduler, harness } = create();
    harness.on('a', () => {
      throw new Error('transient');
    });
    await scheduler.start(harness.handlers);
    const delays = () => harness.calls.map((call) => call.context.retryDelayMs);

    await schedule(scheduler, 'a', { attempts: 4, backoffMs: 1000 });
    await nextTurn();
    expect(delays()).toEqual([800]);
    expect(await scheduler.stats()).toMatchObject({ delayed: 1, active: 0 });

    await vi.advanceTimersByTimeAsync(799);
    await nextTurn();
    expect(harness.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await nextTurn();
    expect(delays()).toEqual([800, 2400]);

    await vi.advanceTimersByTimeAsync(2399);
    await nextTurn();
    expect(harness.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await nextTurn();
    expect(delays()).toEqual([800, 2400, 4000]);

    await vi.advanceTimersByTimeAsync(4000);
    await nextTurn();
    expect(delays()).toEqual([800, 2400, 4000, null]);
    expect(await scheduler.stats()).toMatchObject({ delayed: 0, failed: 1 });
  });

  it('stop cancels retry timers and leaves their tasks waiting (never run), with a warning', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const logger = new MemoryLogger();
    const { scheduler, harness } = create(logger);
    harness.on('a', () => {
      throw new Error('transient');
    });
    await scheduler.start(harness.handlers);
    await schedule(scheduler, 'a', { attempts: 2, backoffMs: 1000 });
    await nextTurn();
    expect(await scheduler.stats()).toMatchObject({ delayed: 1 });

    await scheduler.stop();
    await vi.runAllTimersAsync();
    await nextTurn();

    expect(harness.calls).toHaveLength(1);
    expect(await scheduler.stats()).toMatchObject({ delayed: 0, waiting: 1, active: 0 });
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'warn', fields: { unstarted: 1 } })]);
  });

  it('logs a final failure with job id, attempt and error code', async () => {
    const logger = new MemoryLogger();
    const { scheduler, harness } = create(logger);
    harness.on('exhausted', () => {
      throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    });
    harness.on('corrupt', () => {
      throw new PermanentTaskError('INVALID_IMAGE', { cause: new InvalidImageError('truncated header') });
    });
    await scheduler.start(harness.handlers);

    await schedule(scheduler, 'exhausted', { attempts: 2, backoffMs: 1 });
    await schedule(scheduler, 'corrupt', { attempts: 3 });
    await vi.waitFor(async () => expect(await scheduler.stats()).toMatchObject({ failed: 2 }), { interval: 5 });

    expect(logger.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.fields)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ jobId: 'job-exhausted', attempt: 2, maxAttempts: 2, code: 'ENOSPC', message: 'disk full' }),
        expect.objectContaining({ jobId: 'job-corrupt', attempt: 1, maxAttempts: 3, code: 'INVALID_IMAGE', permanent: true }),
      ]),
    );
  });

  it('rejects bad configuration and misuse with a clear error', async () => {
    expect(() => new InProcessTaskScheduler({ concurrency: 0 })).toThrow(/concurrency/);
    const { scheduler, harness } = create();

    await expect(scheduler.schedule('resize' as TaskType, { imageId: 'a' }, { jobId: 'x' })).rejects.toThrow(/resize/);
    await expect(schedule(scheduler, 'a', { attempts: 0 })).rejects.toThrow(/attempts/);
    await scheduler.start(harness.handlers);
    await expect(scheduler.start(harness.handlers)).rejects.toThrow(/only once/);
  });
});
