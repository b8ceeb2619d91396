import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STALE_CLAIM_MS, type ClaimResult, type UploadReplay, type UploadReplays } from '../../ports/upload-replays.js';

export interface UploadReplaysSubject {
  readonly replays: UploadReplays;
  close(): Promise<void>;
}

/** Keys as the core derives them: a SHA-256 in hex, 64 characters. */
const keyOf = (name: string): string => createHash('sha256').update(name).digest('hex');

const WINDOW_MS = 24 * 60 * 60 * 1000;
/** A base time with milliseconds, so that storage rounding to seconds would show at the boundaries. */
const T0 = Date.parse('2026-05-01T10:00:00.007Z');
const at = (offsetMs: number): Date => new Date(T0 + offsetMs);

const CLAIMED: ClaimResult = { state: 'claimed' };
const IN_PROGRESS: ClaimResult = { state: 'in-progress' };
const completed = (replay: UploadReplay): ClaimResult => ({ state: 'completed', replay });

const replayA: UploadReplay = { imageId: '01JQ0000000000000000000AAA', sealedDeleteToken: 'v1.aGVsbG8.d29ybGQ-_x' };
const replayB: UploadReplay = { imageId: '01JQ0000000000000000000BBB', sealedDeleteToken: 'v1.c2Vjb25k.dG9rZW4' };

/**
 * The behaviour every UploadReplays must have. `factory` returns an empty subject each time.
 * Time comes only from `claim`'s `now`, so every boundary is tested to the millisecond.
 *
 * Decided here beyond the port's TSDoc: the window and staleness count from the claim's `now`;
 * "older than" is strict (a record exactly windowMs old still replays); `complete` on a key that is
 * not in progress (released, unknown, already completed) resolves and changes nothing, so the first
 * outcome wins; `release` gives up only a claim in progress and leaves a completed record replayable.
 */
export function uploadReplaysContract(name: string, factory: () => Promise<UploadReplaysSubject>): void {
  describe(`${name} (UploadReplays contract)`, () => {
    let subject: UploadReplaysSubject | undefined;
    let replays: UploadReplays;
    const key = keyOf('first');

    beforeEach(async () => {
      subject = await factory();
      replays = subject.replays;
    });

    afterEach(async () => {
      await subject?.close();
      subject = undefined;
    });

    async function completedAt(offsetMs: number, replay: UploadReplay = replayA): Promise<void> {
      expect(await replays.claim(key, at(offsetMs), WINDOW_MS)).toEqual(CLAIMED);
      await replays.complete(key, replay);
    }

    describe('claim', () => {
      it('claims a new key, then reports it in progress to every later claim until it completes', async () => {
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
        expect(await replays.claim(key, at(1), WINDOW_MS)).toEqual(IN_PROGRESS);
        expect(await replays.claim(key, at(60_000), WINDOW_MS)).toEqual(IN_PROGRESS);
      });

      it('replays the exact outcome of a completed key, as often as asked', async () => {
        await completedAt(0);
        expect(await replays.claim(key, at(1), WINDOW_MS)).toEqual(completed(replayA));
        expect(await replays.claim(key, at(2), WINDOW_MS)).toEqual(completed(replayA));
      });

      it('keeps different keys independent', async () => {
        const other = keyOf('second');
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
        expect(await replays.claim(other, at(0), WINDOW_MS)).toEqual(CLAIMED);
        await replays.complete(key, replayA);
        expect(await replays.claim(other, at(1), WINDOW_MS)).toEqual(IN_PROGRESS);
        await replays.release(other);
        expect(await replays.claim(key, at(2), WINDOW_MS)).toEqual(completed(replayA));
        expect(await replays.claim(other, at(2), WINDOW_MS)).toEqual(CLAIMED);
        await replays.complete(other, replayB);
        expect(await replays.claim(key, at(3), WINDOW_MS)).toEqual(completed(replayA));
        expect(await replays.claim(other, at(3), WINDOW_MS)).toEqual(completed(replayB));
      });

      it('gives exactly one of 10 concurrent claims of a new key the claim', async () => {
        const results = await Promise.all(Array.from({ length: 10 }, () => replays.claim(key, at(0), WINDOW_MS)));
        expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
        expect(results.filter((r) => r.state === 'in-progress')).toHaveLength(9);
      });
    });

    describe('the replay window', () => {
      it('still replays a completed record exactly windowMs old', async () => {
        await completedAt(0);
        expect(await replays.claim(key, at(WINDOW_MS), WINDOW_MS)).toEqual(completed(replayA));
      });

      it('lets a completed record older than windowMs be claimed again, the new claim replacing it', async () => {
        await completedAt(0);
        expect(await replays.claim(key, at(WINDOW_MS + 1), WINDOW_MS)).toEqual(CLAIMED);
        expect(await replays.claim(key, at(WINDOW_MS + 2), WINDOW_MS)).toEqual(IN_PROGRESS);
        await replays.complete(key, replayB);
        expect(await replays.claim(key, at(WINDOW_MS + 3), WINDOW_MS)).toEqual(completed(replayB));
        // The window now counts from the new claim.
        expect(await replays.claim(key, at(2 * WINDOW_MS + 1), WINDOW_MS)).toEqual(completed(replayB));
        expect(await replays.claim(key, at(2 * WINDOW_MS + 2), WINDOW_MS)).toEqual(CLAIMED);
      });

      it('takes windowMs from each call: a shorter window expires the same record sooner', async () => {
        await completedAt(0);
        expect(await replays.claim(key, at(1_001), 1_000)).toEqual(CLAIMED);
      });

      it('never expires a completed record for staleness, only by the window', async () => {
        await completedAt(0);
        expect(await replays.claim(key, at(STALE_CLAIM_MS + 1), WINDOW_MS)).toEqual(completed(replayA));
      });

      it('gives exactly one of 10 concurrent claims of an expired completed record the claim', async () => {
        await completedAt(0);
        const now = at(WINDOW_MS + 1);
        const results = await Promise.all(Array.from({ length: 10 }, () => replays.claim(key, now, WINDOW_MS)));
        expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
        expect(results.filter((r) => r.state === 'in-progress')).toHaveLength(9);
      });
    });

    describe('stale claims', () => {
      it('reports a claim exactly STALE_CLAIM_MS old in progress, and one a millisecond older claimable', async () => {
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
        expect(await replays.claim(key, at(STALE_CLAIM_MS), WINDOW_MS)).toEqual(IN_PROGRESS);
        expect(await replays.claim(key, at(STALE_CLAIM_MS + 1), WINDOW_MS)).toEqual(CLAIMED);
        // Staleness now counts from the new claim.
        expect(await replays.claim(key, at(STALE_CLAIM_MS + 2), WINDOW_MS)).toEqual(IN_PROGRESS);
        expect(await replays.claim(key, at(2 * STALE_CLAIM_MS + 1), WINDOW_MS)).toEqual(IN_PROGRESS);
        expect(await replays.claim(key, at(2 * STALE_CLAIM_MS + 2), WINDOW_MS)).toEqual(CLAIMED);
      });

      it('lets a claim older than a window shorter than STALE_CLAIM_MS be claimed again (records older than the window count as absent)', async () => {
        expect(await replays.claim(key, at(0), 1_000)).toEqual(CLAIMED);
        expect(await replays.claim(key, at(1_000), 1_000)).toEqual(IN_PROGRESS);
        expect(await replays.claim(key, at(1_001), 1_000)).toEqual(CLAIMED);
      });

      it('gives exactly one of 10 concurrent claims of a stale claim the claim', async () => {
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
        const now = at(STALE_CLAIM_MS + 1);
        const results = await Promise.all(Array.from({ length: 10 }, () => replays.claim(key, now, WINDOW_MS)));
        expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
        expect(results.filter((r) => r.state === 'in-progress')).toHaveLength(9);
      });
    });

    describe('release', () => {
      it('makes a claimed key claimable again at once', async () => {
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
        await replays.release(key);
        expect(await replays.claim(key, at(1), WINDOW_MS)).toEqual(CLAIMED);
        expect(await replays.claim(key, at(2), WINDOW_MS)).toEqual(IN_PROGRESS);
      });

      it('is idempotent, and resolves for a key never claimed', async () => {
        await expect(replays.release(keyOf('never claimed'))).resolves.toBeUndefined();
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
        await replays.release(key);
        await expect(replays.release(key)).resolves.toBeUndefined();
        expect(await replays.claim(keyOf('never claimed'), at(1), WINDOW_MS)).toEqual(CLAIMED);
        expect(await replays.claim(key, at(1), WINDOW_MS)).toEqual(CLAIMED);
      });

      it('leaves a completed record replayable', async () => {
        await completedAt(0);
        await replays.release(key);
        expect(await replays.claim(key, at(1), WINDOW_MS)).toEqual(completed(replayA));
      });
    });

    describe('complete', () => {
      it('after release resolves and records nothing: the key stays claimable', async () => {
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
        await replays.release(key);
        await expect(replays.complete(key, replayA)).resolves.toBeUndefined();
        expect(await replays.claim(key, at(1), WINDOW_MS)).toEqual(CLAIMED);
      });

      it('of a key never claimed resolves and records nothing', async () => {
        await expect(replays.complete(key, replayA)).resolves.toBeUndefined();
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
      });

      it('keeps the first outcome when called twice', async () => {
        await completedAt(0, replayA);
        await replays.complete(key, replayB);
        expect(await replays.claim(key, at(1), WINDOW_MS)).toEqual(completed(replayA));
      });

      it('stores a copy: changing the caller’s object afterwards changes no replay', async () => {
        expect(await replays.claim(key, at(0), WINDOW_MS)).toEqual(CLAIMED);
        const replay = { ...replayA };
        await replays.complete(key, replay);
        replay.sealedDeleteToken = 'changed';
        expect(await replays.claim(key, at(1), WINDOW_MS)).toEqual(completed(replayA));
      });
    });
  });
}
