import { DeleteToken } from '../domain/delete-token.js';
import { ImageNotFoundError, InvalidDeleteTokenError } from '../domain/errors.js';
import { ImageId } from '../domain/image-id.js';
import { TooManyAttemptsError } from '../domain/too-many-attempts-error.js';
import type { AttemptLimiter, AttemptRule } from '../ports/attempt-limiter.js';
import type { Clock } from '../ports/clock.js';
import type { ImageEvents } from '../ports/image-events.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { StorageService } from '../ports/storage-service.js';
import { announce } from './announce.js';
import { findImage } from './find-image.js';
import { releaseUnreferenced } from './shared-objects.js';

/** How many wrong delete tokens are tolerated, per image and per client, before deletes are refused unchecked. */
export interface DeleteAttemptLimits {
  readonly limiter: AttemptLimiter;
  /** Wrong tokens for one image (key `image:<id>`), from anyone. */
  readonly perImage: AttemptRule;
  /** Wrong tokens from one client (key `client:<client>`), for any images. */
  readonly perClient: AttemptRule;
}

const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;

/** 10 wrong tokens per image and 30 per client within 15 minutes. */
export const DEFAULT_DELETE_ATTEMPT_RULES = {
  perImage: { maxFailures: 10, windowMs: FIFTEEN_MINUTES_MS },
  perClient: { maxFailures: 30, windowMs: FIFTEEN_MINUTES_MS },
} as const satisfies Omit<DeleteAttemptLimits, 'limiter'>;

/**
 * Deletes an image, its original and every rendition, given its delete token.
 * Rejects with ImageNotFoundError (also when a concurrent delete won) or InvalidDeleteTokenError.
 *
 * Wrong tokens are counted per image and, when the caller names one, per client; once either is over
 * its limit the delete is refused with TooManyAttemptsError before the image is looked up or any
 * token compared, so a token cannot be guessed at faster than the limits allow. Until then a correct
 * token works as usual. A missing token counts as a wrong one; an unknown id counts for nothing.
 */
export class DeleteImage {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: StorageService,
    private readonly events: ImageEvents,
    private readonly clock: Clock,
    private readonly attempts: DeleteAttemptLimits,
  ) {}

  /** @param client an opaque identity of the caller (e.g. its network address) for the per-client limit */
  async execute(id: string, deleteToken: string | undefined, client?: string): Promise<void> {
    const { limiter, perImage, perClient } = this.attempts;
    const counted: [string, AttemptRule][] = [];
    // A malformed id can have no failures recorded: it is only ever "not found".
    if (ImageId.parse(id)) counted.push([`image:${id}`, perImage]);
    if (client) counted.push([`client:${client}`, perClient]);
    const waits = await Promise.all(counted.map(([key, rule]) => limiter.blockedFor(key, rule)));
    const wait = Math.max(0, ...waits);
    if (wait > 0) throw new TooManyAttemptsError(wait);

    const image = await findImage(this.images, id);
    if (!DeleteToken.matches(deleteToken, image.props.deleteTokenHash)) {
      await Promise.all(counted.map(([key, rule]) => limiter.recordFailure(key, rule)));
      throw new InvalidDeleteTokenError();
    }
    // The row goes first: once it is gone nothing serves it. Its objects go only if no other upload
    // of the same bytes still uses them.
    if (!(await this.images.delete(image.id))) throw new ImageNotFoundError(id);
    await releaseUnreferenced(this.images, this.storage, image.props.checksum, image.storageKeys());
    await announce(this.events, { type: 'image.deleted', imageId: image.id, at: this.clock.now().toISOString() });
  }
}
