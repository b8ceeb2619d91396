import { performance } from 'node:perf_hooks';
import type { Logger } from '../../ports/logger.js';
import { PermanentTaskError, type TaskHandlers } from '../../ports/task-scheduler.js';
import { errorCodeOf } from '../error-code.js';
import { wrapTaskHandlers } from '../task-handlers.js';
import { runWithLogContext } from './log-context.js';

/**
 * Runs every handler inside the log context `{ jobId, taskType, attempt }` (a fresh one: not the
 * context of the request that woke the scheduler) and logs a start line and a finish or failure line
 * with its duration. Errors are rethrown untouched, so the scheduler's retry logic sees them as before.
 */
export function withJobLogContext(handlers: TaskHandlers, logger: Logger): TaskHandlers {
  return wrapTaskHandlers(handlers, (taskType, handler) => (payload, job) => {
    const bindings = { jobId: job.jobId, taskType, attempt: job.attempt };
    return runWithLogContext(
      bindings,
      async () => {
        const started = performance.now();
        logger.info({ ...bindings, maxAttempts: job.maxAttempts }, 'job started');
        try {
          await handler(payload, job);
        } catch (error) {
          const durationMs = Math.round(performance.now() - started);
          const permanent = error instanceof PermanentTaskError;
          const willRetry = !permanent && job.retryDelayMs !== null;
          const code = errorCodeOf(error);
          const fields = {
            ...bindings,
            maxAttempts: job.maxAttempts,
            durationMs,
            code,
            permanent,
            retryDelayMs: willRetry ? job.retryDelayMs : null,
            // Coded failures (a corrupt image, storage unavailable) need no stack; unexpected ones do.
            ...(code === undefined ? { err: error } : { reason: error instanceof Error ? error.message : String(error) }),
          };
          if (willRetry) logger.warn(fields, 'job failed; will retry');
          else if (permanent) logger.warn(fields, 'job failed for good');
          else logger.error(fields, 'job failed; no attempts left');
          throw error;
        }
        logger.info({ ...bindings, durationMs: Math.round(performance.now() - started) }, 'job finished');
      },
      { replace: true },
    );
  });
}
