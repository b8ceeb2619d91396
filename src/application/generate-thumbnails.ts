import { createHash } from 'node:crypto';
import { DomainError, ImageTooLargeError, InvalidImageError, UnsupportedMediaTypeError } from '../domain/errors.js';
import type { Image, Rendition } from '../domain/image.js';
import { storageKeys } from '../domain/storage-keys.js';
import type { Clock } from '../ports/clock.js';
import type { ImageEvents } from '../ports/image-events.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { ImageResizer } from '../ports/image-resizer.js';
import type { StorageService } from '../ports/storage-service.js';
import { PermanentTaskError, type JobContext } from '../ports/task-scheduler.js';
import { announceThumbnails } from './announce.js';
import type { ThumbnailSettings, UploadLimits } from './settings.js';
import { releaseUnreferenced } from './shared-objects.js';

/** The original is gone although its row is not: retrying cannot bring it back. */
class OriginalMissingError extends DomainError {
  readonly code = 'ORIGINAL_MISSING';
}

/** Another writer changed the row between our read and our write: worth another try. */
class ConcurrentUpdateError extends DomainError {
  readonly code = 'CONCURRENT_UPDATE';
}

/** Every run so far died before it could record an outcome. */
const WORKER_LOST = 'WORKER_LOST';

const PERMANENT = [InvalidImageError, UnsupportedMediaTypeError, ImageTooLargeError, OriginalMissingError];

/**
 * The background task: every configured size and the placeholder from one decode, stored under
 * content-addressed keys. An upload of bytes whose renditions already exist adopts them without any
 * rendering. Safe to run twice and safe against a concurrent delete.
 */
export class GenerateThumbnails {
  constructor(
    private readonly storage: StorageService,
    private readonly images: ImageRepository,
    private readonly resizer: ImageResizer,
    private readonly events: ImageEvents,
    private readonly clock: Clock,
    private readonly limits: UploadLimits,
    private readonly settings: ThumbnailSettings,
  ) {}

  async execute(imageId: string, job: JobContext): Promise<void> {
    const found = await this.images.findById(imageId);
    if (!found || this.isUpToDate(found)) return;
    const attempt = this.attemptOf(found, job);
    if (attempt > this.settings.attempts) return this.giveUpAbandoned(found);
    const image = await this.images.update(found.startProcessing(this.clock.now(), attempt));
    if (!image) return this.raceWith(imageId);
    await announceThumbnails(this.events, image);
    try {
      const adopted = await this.adoptFromSibling(image);
      const ready = adopted === 'none' ? await this.renderAndStore(image) : adopted;
      if (!ready) return this.raceWith(imageId);
      await announceThumbnails(this.events, ready);
      const kept = new Set(ready.thumbnail.renditions.map((r) => r.key));
      const stale = image.thumbnail.renditions.map((r) => r.key).filter((key) => !kept.has(key));
      await releaseUnreferenced(this.images, this.storage, image.props.checksum, stale);
    } catch (error) {
      await this.recordFailure(image, error, job);
    }
  }

  /**
   * A run that died mid-way (its process killed or out of memory) leaves the image processing, and
   * the scheduler or the reconciler runs it again: that counts as a try too, so an image that kills
   * every worker that decodes it fails after THUMBNAIL_ATTEMPTS runs instead of looping for ever.
   */
  private attemptOf(image: Image, job: JobContext): number {
    const { status, attempts } = image.thumbnail;
    return status === 'processing' ? Math.max(job.attempt, attempts + 1) : job.attempt;
  }

  private async giveUpAbandoned(image: Image): Promise<void> {
    const failed = await this.images.update(image.failThumbnails(this.clock.now(), WORKER_LOST));
    if (!failed) return this.raceWith(image.id);
    await announceThumbnails(this.events, failed);
    throw new PermanentTaskError(WORKER_LOST);
  }

  private wantedKeys(image: Image): string[] {
    const { sizes, format, quality } = this.settings;
    return sizes.map((size) => storageKeys.rendition(image.props.checksum, size, format, quality));
  }

  private isUpToDate(image: Image): boolean {
    const have = new Set(image.thumbnail.renditions.map((r) => r.key));
    return image.thumbnail.status === 'ready' && this.wantedKeys(image).every((key) => have.has(key));
  }

  /**
   * Another upload of the same bytes has every rendition we need: record them, render nothing. Looked
   * for without the lock first, so the common case (no such sibling) costs one query and no lock;
   * a candidate is checked again under the lock, where no delete can take its objects away.
   */
  private async adoptFromSibling(image: Image): Promise<Image | null | 'none'> {
    const { checksum } = image.props;
    if (!this.siblingToAdopt(image, await this.images.findByChecksum(checksum))) return 'none';
    return this.images.withChecksumLock(checksum, async () => {
      const sibling = this.siblingToAdopt(image, await this.images.findByChecksum(checksum));
      if (!sibling) return 'none';
      return this.images.update(image.completeThumbnails(this.clock.now(), sibling.renditions, sibling.placeholder));
    });
  }

  private siblingToAdopt(image: Image, siblings: readonly Image[]): { renditions: Rendition[]; placeholder: string } | null {
    const wanted = this.wantedKeys(image);
    for (const sibling of siblings) {
      const { renditions, placeholder } = sibling.thumbnail;
      const found = wanted.map((key) => renditions.find((r) => r.key === key));
      if (sibling.id !== image.id && placeholder && found.every((r) => r !== undefined)) return { renditions: found, placeholder };
    }
    return null;
  }

  private async renderAndStore(image: Image): Promise<Image | null> {
    const { width, height, checksum, originalKey } = image.props;
    if (width * height > this.limits.maxPixels) throw new ImageTooLargeError(width * height, this.limits.maxPixels);
    const original = await this.storage.get(originalKey);
    if (!original) throw new OriginalMissingError(`The original of image "${image.id}" is missing from storage`);
    const { sizes, format, quality } = this.settings;
    const source = { format: image.props.format, width, height };
    const { renditions: rendered, placeholder } = await this.resizer.render(original, { sizes, format, quality, source });
    const renditions: Rendition[] = rendered.map((r) => ({
      size: r.size,
      width: r.width,
      height: r.height,
      bytes: r.data.byteLength,
      contentType: r.contentType,
      key: storageKeys.rendition(checksum, r.size, format, quality),
      sha256: createHash('sha256').update(r.data).digest('hex'),
    }));
    // Writing and recording under the checksum's lock: a concurrent delete of a same-bytes upload
    // either collects before we write (we write again) or sees our row referencing the keys.
    const ready = await this.images.withChecksumLock(checksum, async () => {
      await Promise.all(renditions.map((r, i) => this.storage.put(r.key, rendered[i]!.data, { contentType: r.contentType })));
      return this.images.update(image.completeThumbnails(this.clock.now(), renditions, placeholder));
    });
    // Deleted while we worked: leave nothing behind that no row points at.
    if (!ready) await releaseUnreferenced(this.images, this.storage, checksum, [...renditions.map((r) => r.key), originalKey]);
    return ready;
  }

  /** Records the outcome on the image, then rethrows so the scheduler retries or gives up. */
  private async recordFailure(image: Image, error: unknown, job: JobContext): Promise<void> {
    const code = error instanceof DomainError ? error.code : 'UNEXPECTED_ERROR';
    const permanent = PERMANENT.some((type) => error instanceof type);
    const now = this.clock.now();
    const retryAt = permanent || job.retryDelayMs === null ? null : new Date(now.getTime() + job.retryDelayMs);
    const stored = await this.images.update(retryAt ? image.scheduleRetry(now, code, retryAt) : image.failThumbnails(now, code));
    // A deleted image has nothing left to retry or to report.
    if (!stored && !(await this.images.findById(image.id))) return;
    if (stored) await announceThumbnails(this.events, stored);
    throw permanent ? new PermanentTaskError(code, { cause: error }) : error;
  }

  private async raceWith(imageId: string): Promise<void> {
    if (await this.images.findById(imageId)) {
      throw new ConcurrentUpdateError(`Image "${imageId}" changed while its thumbnails were generated`);
    }
  }
}
