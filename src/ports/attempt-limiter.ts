/** How many failures one key may collect within a sliding window before it is blocked. */
export interface AttemptRule {
  /** Failures within the window that block the key (at least 1). */
  readonly maxFailures: number;
  /** Length of the sliding window, in milliseconds. */
  readonly windowMs: number;
}

/**
 * Counts failed attempts per key over a sliding window, e.g. wrong delete tokens per image
 * (`image:<id>`) and per client (`client:<address>`). Keys are opaque and independent; the rule
 * travels with each call, so one limiter serves several policies. Time comes from the
 * implementation's clock.
 *
 * Semantics (checked by the contract suite):
 * - `blockedFor(key, rule)` resolves to 0 while fewer than `rule.maxFailures` failures of `key`
 *   happened within the last `rule.windowMs`; otherwise to the milliseconds (> 0) until enough of
 *   them leave the window for the key to be let through again. An unknown key resolves to 0.
 *   A failure recorded at time t counts while `now - t < windowMs`.
 * - `recordFailure(key, rule)` records one failure at the current time. Failures older than the
 *   window are forgotten; an implementation may keep only the newest `maxFailures` of a key.
 * - Checking and recording are separate calls, not a reservation: attempts already past
 *   `blockedFor` when the limit is reached still complete, so a burst of N concurrent attempts may
 *   overshoot the limit by at most N - 1.
 * - Errors (a store that cannot be reached) reject; callers fail closed.
 */
export interface AttemptLimiter {
  blockedFor(key: string, rule: AttemptRule): Promise<number>;
  recordFailure(key: string, rule: AttemptRule): Promise<void>;
}

export const AttemptLimiter = Symbol.for('imagehost.AttemptLimiter');
