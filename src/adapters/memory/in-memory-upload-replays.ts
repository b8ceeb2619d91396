/* eslint-disable @typescript-eslint/require-await -- async so that failures reach callers as rejections, as with a real database */
import { STALE_CLAIM_MS, type ClaimResult, type UploadReplay, type UploadReplays } from '../../ports/upload-replays.js';

type UploadRecord =
  | { readonly state: 'in-progress'; readonly claimedAt: number }
  | { readonly state: 'completed'; readonly claimedAt: number; readonly replay: UploadReplay };

/**
 * UploadReplays in a Map, for tests (the project's and library users'). Passes the same contract
 * suite as the database adapter. JavaScript runs each call to the end before the next, so claims
 * are atomic within the process; it is not shared across processes.
 *
 * The window and staleness count from the time of the claim (`now` as passed to `claim`); this
 * class never reads the clock. `complete` records an outcome only while the key is claimed: on a
 * released, unknown or already completed key it resolves and changes nothing (the first outcome wins).
 */
export class InMemoryUploadReplays implements UploadReplays {
  private readonly records = new Map<string, UploadRecord>();

  async claim(key: string, now: Date, windowMs: number): Promise<ClaimResult> {
    const record = this.records.get(key);
    if (record && !isExpired(record, now.getTime(), windowMs)) {
      return record.state === 'completed' ? { state: 'completed', replay: record.replay } : { state: 'in-progress' };
    }
    this.records.set(key, { state: 'in-progress', claimedAt: now.getTime() });
    return { state: 'claimed' };
  }

  async complete(key: string, replay: UploadReplay): Promise<void> {
    const record = this.records.get(key);
    if (record?.state !== 'in-progress') return;
    // Copied so that a caller mutating its object afterwards cannot change what is replayed.
    const stored = { imageId: replay.imageId, sealedDeleteToken: replay.sealedDeleteToken };
    this.records.set(key, { state: 'completed', claimedAt: record.claimedAt, replay: stored });
  }

  async release(key: string): Promise<void> {
    const record = this.records.get(key);
    // Only a claim is given up: a completed record stays replayable, as in the database adapter.
    if (record?.state === 'in-progress') this.records.delete(key);
  }
}

/** Older than the window (any record), or than STALE_CLAIM_MS (a claim still in progress). */
function isExpired(record: UploadRecord, now: number, windowMs: number): boolean {
  const age = now - record.claimedAt;
  return age > windowMs || (record.state === 'in-progress' && age > STALE_CLAIM_MS);
}
