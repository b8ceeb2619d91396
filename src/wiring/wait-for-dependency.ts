import pRetry from 'p-retry';
import { withTimeout } from '../adapters/time-limit.js';
import type { Logger } from '../ports/logger.js';

export class DependencyUnavailableError extends Error {}

/**
 * One try may not hang longer than this (a driver that queues commands while offline would), nor,
 * beyond a short minimum, past the deadline.
 */
const ATTEMPT_TIMEOUT_MS = 5000;
const MIN_ATTEMPT_TIMEOUT_MS = 500;

/**
 * Retries `connect` with exponential backoff until it succeeds or `timeoutSeconds` have passed, logging
 * one line per failed try; then fails with one clear line naming the dependency (no stack dump).
 */
export async function waitForDependency<T>(
  name: string,
  timeoutSeconds: number,
  logger: Logger,
  connect: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const deadline = started + timeoutSeconds * 1000;
  const attemptTimeout = () => Math.min(ATTEMPT_TIMEOUT_MS, Math.max(MIN_ATTEMPT_TIMEOUT_MS, deadline - Date.now()));
  try {
    return await pRetry(() => withTimeout(connect(), attemptTimeout()), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 250,
      maxTimeout: 5000,
      factor: 2,
      maxRetryTime: timeoutSeconds * 1000,
      onFailedAttempt: ({ error, attemptNumber }) => {
        logger.warn({ dependency: name, attempt: attemptNumber, reason: error.message }, `waiting for ${name}`);
      },
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const waited = Math.round((Date.now() - started) / 1000);
    throw new DependencyUnavailableError(`${name} is unreachable after ${waited}s: ${reason}`, { cause: error });
  }
}
