import { PermanentTaskError, type TaskHandlers } from '../../ports/task-scheduler.js';
import { errorCodeOf } from '../error-code.js';
import { wrapTaskHandlers } from '../task-handlers.js';
import type { ImagehostMetrics } from './metrics.js';

/**
 * Counts every job try by result, and failed tries by error code (the error's own or its cause's, so
 * a PermanentTaskError counts as the domain error it wraps). Errors are rethrown untouched.
 */
export function withJobMetrics(handlers: TaskHandlers, metrics: Pick<ImagehostMetrics, 'observeJob'>): TaskHandlers {
  return wrapTaskHandlers(handlers, (_type, handler) => async (payload, job) => {
    try {
      await handler(payload, job);
    } catch (error) {
      const final = error instanceof PermanentTaskError || job.retryDelayMs === null;
      metrics.observeJob(final ? 'failed' : 'retrying', errorCodeOf(error));
      throw error;
    }
    metrics.observeJob('completed');
  });
}
