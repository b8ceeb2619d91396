import { createHash } from 'node:crypto';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError, ImageNotFoundError, InvalidParameterError } from '../domain/errors.js';
import { sealedToken } from '../domain/sealed-token.js';
import type { Clock } from '../ports/clock.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { UploadReplays } from '../ports/upload-replays.js';
import type { UploadImage, UploadRequest, UploadResult } from './upload-image.js';

const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;

/**
 * UploadImage with an optional Idempotency-Key: a retried request with the same key (inside the
 * window) gets the first upload's image and delete token back instead of creating a second image.
 * Only a hash of the key is stored, and the token is sealed under the key itself.
 * Rejects with IdempotencyKeyInUseError (the first request still runs), IdempotencyKeyReusedError
 * (same key, other bytes), InvalidParameterError (a malformed key) or ImageNotFoundError (replaying
 * an image deleted since).
 */
export class IdempotentUpload {
  constructor(
    private readonly upload: UploadImage,
    private readonly replays: UploadReplays,
    private readonly images: ImageRepository,
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  async execute(request: UploadRequest, idempotencyKey: string | undefined): Promise<UploadResult & { replayed: boolean }> {
    if (idempotencyKey === undefined) return { ...(await this.upload.execute(request)), replayed: false };
    if (!KEY_PATTERN.test(idempotencyKey)) {
      throw new InvalidParameterError('Idempotency-Key', 'must be 8 to 255 visible ASCII characters (a UUID is ideal)');
    }
    const lookup = createHash('sha256').update(`imagehost idempotency v1:${idempotencyKey}`).digest('hex');
    const claim = await this.replays.claim(lookup, this.clock.now(), this.windowMs);
    if (claim.state === 'in-progress') throw new IdempotencyKeyInUseError();
    if (claim.state === 'completed') {
      const image = await this.images.findById(claim.replay.imageId);
      if (!image) throw new ImageNotFoundError(claim.replay.imageId);
      const checksum = request.checksum ?? createHash('sha256').update(request.bytes).digest('hex');
      const deleteToken = sealedToken.open(claim.replay.sealedDeleteToken, idempotencyKey);
      if (image.props.checksum !== checksum || deleteToken === null) throw new IdempotencyKeyReusedError();
      return { image, deleteToken, replayed: true };
    }
    let result: UploadResult;
    try {
      result = await this.upload.execute(request);
    } catch (error) {
      await this.replays.release(lookup).catch(() => undefined);
      throw error;
    }
    // The image exists now: answering it matters more than recording the replay (if that fails, a
    // retry meets an in-progress key until the claim goes stale, and never a second image before).
    const sealedDeleteToken = sealedToken.seal(result.deleteToken, idempotencyKey);
    await this.replays.complete(lookup, { imageId: result.image.id, sealedDeleteToken }).catch(() => undefined);
    return { ...result, replayed: false };
  }
}
