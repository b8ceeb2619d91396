import { createHash } from 'node:crypto';
import { DeleteToken } from '../domain/delete-token.js';
import { EmptyFileError, FileTooLargeError, ImageTooLargeError } from '../domain/errors.js';
import { ImageId } from '../domain/image-id.js';
import { mediaTypeOf } from '../domain/image-format.js';
import { Image } from '../domain/image.js';
import { storageKeys } from '../domain/storage-keys.js';
import type { Clock } from '../ports/clock.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { ImageResizer } from '../ports/image-resizer.js';
import type { ImageEvents } from '../ports/image-events.js';
import type { Logger } from '../ports/logger.js';
import type { StorageService } from '../ports/storage-service.js';
import type { TaskScheduler } from '../ports/task-scheduler.js';
import type { ThumbnailSettings, UploadLimits } from './settings.js';
import { announce } from './announce.js';
import { scheduleThumbnails } from './schedule-thumbnails.js';

export interface UploadRequest {
  readonly bytes: Uint8Array;
  /** As the client named it; kept for display only. */
  readonly filename: string;
  /** SHA-256 (hex) of `bytes` when the caller already computed it while receiving them. */
  readonly checksum?: string;
  /** Of its thumbnail job: `background` for bulk imports, so live uploads go first. Default `normal`. */
  readonly priority?: 'normal' | 'background';
}

export interface UploadResult {
  readonly image: Image;
  /** The plain delete token: returned to the uploader once, never stored. */
  readonly deleteToken: string;
}

/** Validates and stores an original, records it, and queues its thumbnails without waiting for them. */
export class UploadImage {
  constructor(
    private readonly storage: StorageService,
    private readonly images: ImageRepository,
    private readonly resizer: ImageResizer,
    private readonly scheduler: TaskScheduler,
    private readonly events: ImageEvents,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly limits: UploadLimits,
    private readonly thumbnails: ThumbnailSettings,
  ) {}

  async execute(request: UploadRequest): Promise<UploadResult> {
    const { bytes } = request;
    if (bytes.byteLength === 0) throw new EmptyFileError();
    if (bytes.byteLength > this.limits.maxUploadBytes) throw new FileTooLargeError(this.limits.maxUploadBytes);
    const info = await this.resizer.probe(bytes);
    const pixels = info.width * info.height;
    if (pixels > this.limits.maxPixels) throw new ImageTooLargeError(pixels, this.limits.maxPixels);

    const id = ImageId.generate().value;
    const token = DeleteToken.generate();
    const checksum = request.checksum ?? createHash('sha256').update(bytes).digest('hex');
    const originalKey = storageKeys.original(checksum);
    const contentType = mediaTypeOf(info.format);
    const image = Image.create({
      id,
      filename: sanitizeFilename(request.filename),
      format: info.format,
      contentType,
      sizeBytes: bytes.byteLength,
      checksum,
      width: info.width,
      height: info.height,
      originalKey,
      deleteTokenHash: token.hash,
      createdAt: this.clock.now(),
    });
    // Identical bytes share one object: write it (the same work whether or not it existed, so timing
    // reveals nothing) and record the row while no delete of the same bytes can collect it.
    await this.images.withChecksumLock(checksum, async () => {
      await this.storage.put(originalKey, bytes, { contentType });
      try {
        await this.images.add(image);
      } catch (error) {
        const inUse = (await this.images.findByChecksum(checksum).catch(() => [image])).length > 0;
        if (!inUse) await this.storage.delete(originalKey).catch(() => undefined);
        throw error;
      }
    });
    await scheduleThumbnails(this.scheduler, this.thumbnails, id, request.priority ?? 'normal').catch((error: unknown) => {
      // The upload is stored and answered; the image stays pending until it is scheduled again.
      this.logger.error({ err: error, imageId: id }, 'could not schedule thumbnail generation');
    });
    await announce(this.events, { type: 'image.created', imageId: id, at: image.props.createdAt.toISOString() });
    return { image, deleteToken: token.plain };
  }
}

const MAX_FILENAME_LENGTH = 255;

/** Keeps a display name: no path, no control or bidi-override characters, bounded length. */
export function sanitizeFilename(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  const bounded = [...clean].slice(0, MAX_FILENAME_LENGTH).join('');
  return bounded === '' || bounded === '.' || bounded === '..' ? 'image' : bounded;
}
