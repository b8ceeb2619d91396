import { DomainError, ImageTooLargeError, InvalidImageError, UnsupportedMediaTypeError } from '../domain/errors.js';
import type { Image, Rendition } from '../domain/image.js';
import { storageKeys } from '../domain/storage-keys.js';
import type { Clock } from '../ports/clock.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { ImageResizer } from '../ports/image-resizer.js';
import type { StorageService } from '../ports/storage-service.js';
import { PermanentTaskError, type JobContext } from '../ports/task-scheduler.js';
import type { ThumbnailSettings, UploadLimits } from './settings.js';

/** The original is gone although its row is not: retrying cannot bring it back. */
class OriginalMissingError extends DomainError {
  readonly code = 'ORIGINAL_MISSING';
}

/** Another writer changed the row between our read and our write: worth another try. */
class ConcurrentUpdateError extends DomainError {
  readonly code = 'CONCURRENT_UPDATE';
}

const PERMANENT = [InvalidImageError, UnsupportedMediaTypeError, ImageTooLargeError, OriginalMissingError];

/**
 * The background task: renders every configured size from one decode, stores them under
 * deterministic keys and marks the image ready. Safe to run twice and safe against a concurrent delete.
 */
export class GenerateThumbnails {
  constructor(
    private readonly storage: StorageService,
    private readonly images: ImageRepository,
    private readonly resizer: ImageResizer,
    private readonly clock: Clock,
    private readonly limits: UploadLimits,
    private readonly settings: ThumbnailSettings,
  ) {}

  async execute(imageId: string, job: JobContext): Promise<void> {
    const found = await this.images.findById(imageId);
    if (!found || this.isUpToDate(found)) return;
    const image = await this.images.update(found.startProcessing(this.clock.now(), job.attempt));
    if (!image) return this.raceWith(imageId);
    try {
      const renditions = await this.renderAndStore(image);
      const ready = await this.images.update(image.completeThumbnails(this.clock.now(), renditions));
      const written = renditions.map((r) => r.key);
      if (!ready) {
        // Deleted (or changed) while we worked: leave nothing behind that no row points at.
        await this.deleteKeys(written);
        return this.raceWith(imageId);
      }
      await this.deleteKeys(image.thumbnail.renditions.map((r) => r.key).filter((key) => !written.includes(key)));
    } catch (error) {
      await this.recordFailure(image, error, job);
    }
  }

  private isUpToDate(image: Image): boolean {
    return image.thumbnail.status === 'ready' && this.settings.sizes.every((size) => image.rendition(size));
  }

  private async renderAndStore(image: Image): Promise<Rendition[]> {
    const { width, height } = image.props;
    if (width * height > this.limits.maxPixels) throw new ImageTooLargeError(width * height, this.limits.maxPixels);
    const original = await this.storage.get(image.props.originalKey);
    if (!original) throw new OriginalMissingError(`The original of image "${image.id}" is missing from storage`);
    const { sizes, format, quality } = this.settings;
    const rendered = await this.resizer.render(original, { sizes, format, quality });
    return Promise.all(
      rendered.map(async (r) => {
        const key = storageKeys.rendition(image.id, r.size, format === 'jpeg' ? 'jpg' : format);
        await this.storage.put(key, r.data, { contentType: r.contentType });
        return { size: r.size, width: r.width, height: r.height, bytes: r.data.byteLength, contentType: r.contentType, key };
      }),
    );
  }

  /** Records the outcome on the image, then rethrows so the scheduler retries or gives up. */
  private async recordFailure(image: Image, error: unknown, job: JobContext): Promise<never> {
    const code = error instanceof DomainError ? error.code : 'UNEXPECTED_ERROR';
    const permanent = PERMANENT.some((type) => error instanceof type);
    const now = this.clock.now();
    const retryAt = permanent || job.retryDelayMs === null ? null : new Date(now.getTime() + job.retryDelayMs);
    await this.images.update(retryAt ? image.scheduleRetry(now, code, retryAt) : image.failThumbnails(now, code));
    throw permanent ? new PermanentTaskError(code, { cause: error }) : error;
  }

  private async raceWith(imageId: string): Promise<void> {
    if (await this.images.findById(imageId)) {
      throw new ConcurrentUpdateError(`Image "${imageId}" changed while its thumbnails were generated`);
    }
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.storage.delete(key)));
  }
}
