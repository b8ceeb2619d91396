import type { Image } from '../domain/image.js';
import type { Clock } from '../ports/clock.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { TaskScheduler } from '../ports/task-scheduler.js';
import { findImage } from './find-image.js';
import { scheduleThumbnails } from './schedule-thumbnails.js';
import type { ThumbnailSettings } from './settings.js';

/**
 * An operator's retry of one image's thumbnails: a failed image goes back to pending with a fresh
 * budget of attempts, and its job is queued again. Retrying an image that is pending or processing
 * just makes sure its job is queued (the job id deduplicates); a ready image is left as it is.
 * Rejects with ImageNotFoundError.
 */
export class RetryThumbnails {
  constructor(
    private readonly images: ImageRepository,
    private readonly scheduler: TaskScheduler,
    private readonly clock: Clock,
    private readonly settings: ThumbnailSettings,
  ) {}

  async execute(id: string): Promise<Image> {
    const image = await findImage(this.images, id);
    if (image.thumbnail.status === 'ready') return image;
    return requeue(image, { images: this.images, scheduler: this.scheduler, clock: this.clock, settings: this.settings }, 'normal');
  }
}

export interface RequeueDependencies {
  readonly images: ImageRepository;
  readonly scheduler: TaskScheduler;
  readonly clock: Clock;
  readonly settings: ThumbnailSettings;
}

/** Resets a failed image to pending (compare-and-set) and queues its job; returns the image as stored. */
export async function requeue(image: Image, deps: RequeueDependencies, priority: 'normal' | 'background'): Promise<Image> {
  let current = image;
  if (image.thumbnail.status === 'failed') {
    // A concurrent change (another retry, a delete) wins; the job below is harmless either way.
    current = (await deps.images.update(image.requeueThumbnails(deps.clock.now()))) ?? image;
  }
  await scheduleThumbnails(deps.scheduler, deps.settings, image.id, priority);
  return current;
}
