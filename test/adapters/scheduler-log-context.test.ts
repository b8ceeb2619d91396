import { describe, expect, it, vi } from 'vitest';
import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { runWithLogContext } from '../../src/adapters/pino/log-context.js';
import { createPinoLogger } from '../../src/adapters/pino/pino-logger.js';
import { PermanentTaskError } from '../../src/ports/task-scheduler.js';
import { Harness, schedule } from '../contracts/task-scheduler.contract.js';
import { LogSink } from '../support/observed-server.js';

describe('InProcessTaskScheduler log context', () => {
  it('does not tag its own lines, nor its retries, with the request id of the request that scheduled the task', async () => {
    const logs = new LogSink();
    const scheduler = new InProcessTaskScheduler({ concurrency: 1, logger: createPinoLogger('info', { destination: logs }) });
    const harness = new Harness()
      .on('corrupt', () => {
        throw new PermanentTaskError('INVALID_IMAGE');
      })
      .on('flaky', () => {
        throw new Error('transient');
      });
    await scheduler.start(harness.handlers);
    // Let the wake-up queued by start() run first, so the request below is the one that wakes the pump.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await runWithLogContext({ requestId: 'r-1' }, async () => {
        await schedule(scheduler, 'corrupt', { attempts: 3 });
        await schedule(scheduler, 'flaky', { attempts: 2, backoffMs: 1 });
      });
      await vi.waitFor(async () => expect(await scheduler.stats()).toMatchObject({ failed: 2 }), { interval: 5 });
    } finally {
      await scheduler.stop();
    }

    const failures = logs.lines().filter((line) => line.msg === 'Task failed');
    expect(failures.map((line) => line.jobId).sort()).toEqual(['job-corrupt', 'job-flaky']);
    for (const line of failures) expect(line).not.toHaveProperty('requestId');
  });
});
