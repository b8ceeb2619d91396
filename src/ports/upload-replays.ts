/** What a retried upload gets back: the first upload's image, and its delete token. */
export interface UploadReplay {
  readonly imageId: string;
  /** The delete token, sealed so that only a holder of the idempotency key can open it. */
  readonly sealedDeleteToken: string;
}

/** An in-progress claim older than this is abandoned and may be claimed again. */
export const STALE_CLAIM_MS = 5 * 60 * 1000;

export type ClaimResult =
  /** This caller owns the key now and must `complete` or `release` it. */
  | { readonly state: 'claimed' }
  /** Another request with this key is still running. */
  | { readonly state: 'in-progress' }
  /** A request with this key already finished inside the window: replay its result. */
  | { readonly state: 'completed'; readonly replay: UploadReplay };

/**
 * Idempotency records for uploads, keyed by an opaque key the core derives from the client's
 * Idempotency-Key (never the raw header). Records older than the window count as absent, and so
 * does a claim left in progress for more than STALE_CLAIM_MS (its process died mid-upload).
 * Safe across processes: of concurrent `claim`s of one key exactly one gets `claimed`.
 */
export interface UploadReplays {
  claim(key: string, now: Date, windowMs: number): Promise<ClaimResult>;
  /** Records the outcome of a claimed key. */
  complete(key: string, replay: UploadReplay): Promise<void>;
  /** Gives a claimed key up (the upload failed), so a retry can run. Idempotent. */
  release(key: string): Promise<void>;
}

export const UploadReplays = Symbol.for('imagehost.UploadReplays');
