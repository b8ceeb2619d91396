/* eslint-disable @typescript-eslint/require-await -- async so that failures reach callers as rejections, as with Redis */
import type { AttemptLimiter, AttemptRule } from '../../ports/attempt-limiter.js';
import type { Clock } from '../../ports/clock.js';

export interface InMemoryAttemptLimiterOptions {
  /** Most keys kept at once; past it the key that failed least recently is forgotten. Default 100 000. */
  readonly maxKeys?: number;
}

interface Failures {
  /** The newest failures, oldest first, at most the rule's maxFailures (ms since the epoch). */
  readonly times: number[];
  readonly windowMs: number;
}

const DEFAULT_MAX_KEYS = 100_000;
/** Expired keys are swept once per this many recorded failures: amortised O(1) per call. */
const SWEEP_EVERY = 1000;

/**
 * AttemptLimiter in a Map: an exact sliding window (the newest `maxFailures` timestamps of each key).
 * A real implementation for one process, and the fake for tests (passes the same contract suite
 * as the Redis one). Per process: with several API processes each counts on its own, so a client
 * spreading attempts over N processes gets up to N × the limit; use the Redis limiter there.
 *
 * Memory is bounded: at most `maxKeys` keys × `maxFailures` numbers. Under a flood of distinct keys
 * (many clients, many images) the least recently failed key is forgotten first, which can reset its
 * count early: bounded memory is worth more than an exact count under such a flood.
 */
export class InMemoryAttemptLimiter implements AttemptLimiter {
  private readonly failures = new Map<string, Failures>();
  private readonly maxKeys: number;
  private recordedSinceSweep = 0;

  constructor(
    private readonly clock: Clock,
    options: InMemoryAttemptLimiterOptions = {},
  ) {
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isSafeInteger(this.maxKeys) || this.maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${this.maxKeys}`);
  }

  async blockedFor(key: string, rule: AttemptRule): Promise<number> {
    checkRule(rule);
    const now = this.clock.now().getTime();
    const recent = (this.failures.get(key)?.times ?? []).filter((time) => now - time < rule.windowMs);
    if (recent.length < rule.maxFailures) return 0;
    // Let through once all but maxFailures - 1 of the recent failures have left the window.
    const deciding = recent[recent.length - rule.maxFailures] ?? now;
    return deciding + rule.windowMs - now;
  }

  async recordFailure(key: string, rule: AttemptRule): Promise<void> {
    checkRule(rule);
    const now = this.clock.now().getTime();
    const previous = this.failures.get(key);
    const times = [...(previous?.times ?? []).filter((time) => now - time < rule.windowMs), now].slice(-rule.maxFailures);
    // Deleting first moves the key to the end of the Map's order: the first key is the least recently failed.
    this.failures.delete(key);
    this.failures.set(key, { times, windowMs: rule.windowMs });
    if (++this.recordedSinceSweep >= SWEEP_EVERY) this.sweep(now);
    while (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  /** Keys currently remembered (for tests and metrics). */
  get size(): number {
    return this.failures.size;
  }

  private sweep(now: number): void {
    this.recordedSinceSweep = 0;
    for (const [key, { times, windowMs }] of this.failures) {
      const newest = times[times.length - 1];
      if (newest === undefined || now - newest >= windowMs) this.failures.delete(key);
    }
  }
}

function checkRule(rule: AttemptRule): void {
  if (!(Number.isSafeInteger(rule.maxFailures) && rule.maxFailures >= 1 && Number.isSafeInteger(rule.windowMs) && rule.windowMs >= 1)) {
    throw new RangeError(`an attempt rule needs maxFailures >= 1 and windowMs >= 1 (whole numbers), got ${JSON.stringify(rule)}`);
  }
}
