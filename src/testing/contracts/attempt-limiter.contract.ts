import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FixedClock } from '../../adapters/memory/fixed-clock.js';
import type { AttemptLimiter, AttemptRule } from '../../ports/attempt-limiter.js';

export interface AttemptLimiterSubject {
  readonly limiter: AttemptLimiter;
  /** The clock the limiter reads; the suite moves it. */
  readonly clock: FixedClock;
  close(): Promise<void>;
}

const MINUTE = 60_000;
const RULE: AttemptRule = { maxFailures: 3, windowMs: 15 * MINUTE };

/**
 * The behaviour every AttemptLimiter must have. `factory` returns a subject with no failures
 * recorded for any key the suite uses (keys are made unique per subject), and a clock it can move.
 */
export function attemptLimiterContract(name: string, factory: () => Promise<AttemptLimiterSubject>): void {
  describe(`${name} (AttemptLimiter contract)`, () => {
    let subject: AttemptLimiterSubject | undefined;
    let limiter: AttemptLimiter;
    let clock: FixedClock;

    beforeEach(async () => {
      subject = await factory();
      ({ limiter, clock } = subject);
    });

    afterEach(async () => {
      await subject?.close();
      subject = undefined;
    });

    async function fail(key: string, times: number, everyMs = 0, rule = RULE): Promise<void> {
      for (let i = 0; i < times; i++) {
        if (i > 0) clock.advance(everyMs);
        await limiter.recordFailure(key, rule);
      }
    }

    it('lets an unknown key through', async () => {
      expect(await limiter.blockedFor('image:never-seen', RULE)).toBe(0);
    });

    it('lets a key through until it has maxFailures failures, then blocks it until the oldest leaves the window', async () => {
      await fail('image:a', 2, MINUTE);
      expect(await limiter.blockedFor('image:a', RULE)).toBe(0);
      clock.advance(MINUTE);
      await fail('image:a', 1);
      // Failures at 0, 1 and 2 minutes: blocked until the one at 0 is 15 minutes old.
      expect(await limiter.blockedFor('image:a', RULE)).toBe(13 * MINUTE);
      clock.advance(13 * MINUTE - 1);
      expect(await limiter.blockedFor('image:a', RULE)).toBe(1);
      clock.advance(1);
      expect(await limiter.blockedFor('image:a', RULE)).toBe(0);
    });

    it('slides: the window counts only the failures of its last windowMs', async () => {
      await fail('client:x', 3, 5 * MINUTE); // at 0, 5, 10 minutes
      clock.advance(5 * MINUTE); // 15: the first is out
      expect(await limiter.blockedFor('client:x', RULE)).toBe(0);
      await fail('client:x', 1); // at 5, 10, 15: blocked until 5 + 15
      expect(await limiter.blockedFor('client:x', RULE)).toBe(5 * MINUTE);
    });

    it('when more failures than the limit were recorded (a burst), waits until enough have left the window', async () => {
      await fail('image:b', 5, MINUTE); // 0, 1, 2, 3, 4: let through once only two remain, when the one at 2 expires
      expect(await limiter.blockedFor('image:b', RULE)).toBe(15 * MINUTE + 2 * MINUTE - 4 * MINUTE);
    });

    it('keeps keys apart', async () => {
      await fail('image:c', 3);
      expect(await limiter.blockedFor('image:c', RULE)).toBe(15 * MINUTE);
      expect(await limiter.blockedFor('image:d', RULE)).toBe(0);
      expect(await limiter.blockedFor('client:c', RULE)).toBe(0);
    });

    it('applies the rule of each call: one limiter serves several policies', async () => {
      const strict: AttemptRule = { maxFailures: 1, windowMs: MINUTE };
      await fail('client:y', 2, 0, RULE);
      expect(await limiter.blockedFor('client:y', RULE)).toBe(0);
      expect(await limiter.blockedFor('client:y', strict)).toBe(MINUTE);
    });

    it('forgets a key once its window has passed with no new failures', async () => {
      await fail('image:e', 3);
      clock.advance(15 * MINUTE);
      expect(await limiter.blockedFor('image:e', RULE)).toBe(0);
      await fail('image:e', 2);
      expect(await limiter.blockedFor('image:e', RULE)).toBe(0);
    });

    it('takes any key text (addresses, ids with - and _, unicode)', async () => {
      for (const key of ['client:2001:db8:0:1::/64', 'image:AAAA-bbbb_CCCC-dddd_E1', 'client:über 😀']) {
        await fail(key, 3);
        expect(await limiter.blockedFor(key, RULE)).toBeGreaterThan(0);
      }
    });
  });
}
