import { createHash } from 'node:crypto';
import type { BackoffStrategy, MinimalJob } from 'bullmq';

const JITTER = 0.2;

/** The `backoff.type` every job carries, so BullMQ hands its retries to `imagehostBackoff`. */
export const BACKOFF_TYPE = 'imagehost';

/**
 * How long to wait after failed try `attempt` (1 for the first): backoffMs × 2^(attempt-1) ± 20%.
 *
 * The jitter is derived from `jobKey` and `attempt` instead of drawn at random, so the processor
 * (which announces the delay to the handler before the try) and BullMQ's backoff strategy (which
 * applies it after the throw) compute the same number without storing it anywhere.
 */
export function retryDelayMs(jobKey: string, attempt: number, backoffMs: number): number {
  const digest = createHash('sha256').update(`${jobKey}#${attempt}`).digest();
  const unit = digest.readUInt32BE(0) / 2 ** 32;
  return Math.round(backoffMs * 2 ** (attempt - 1) * (1 + (unit * 2 - 1) * JITTER));
}

/** Unique per BullMQ job: ids restart after an obliterate, the creation time tells those apart. */
export function jobKey(job: MinimalJob): string {
  return `${job.id ?? ''}@${job.timestamp}`;
}

export function backoffBaseMs(job: MinimalJob): number {
  const { backoff } = job.opts;
  return (typeof backoff === 'object' ? backoff.delay : backoff) ?? 0;
}

/** BullMQ calls this with the number of the try that just failed (its `attemptsMade + 1`). */
export const imagehostBackoff: BackoffStrategy = (attempt, _type, _error, job) =>
  job ? retryDelayMs(jobKey(job), attempt, backoffBaseMs(job)) : 0;
