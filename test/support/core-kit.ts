import { DEFAULT_DELETE_ATTEMPT_RULES, DeleteImage, type DeleteAttemptLimits } from '../../src/application/delete-image.js';
import { GenerateThumbnails } from '../../src/application/generate-thumbnails.js';
import { GetImage } from '../../src/application/get-image.js';
import { GetOriginal } from '../../src/application/get-original.js';
import { GetThumbnail } from '../../src/application/get-thumbnail.js';
import { GetJobStats } from '../../src/application/get-job-stats.js';
import { ListImages } from '../../src/application/list-images.js';
import { RetryFailedThumbnails } from '../../src/application/retry-failed-thumbnails.js';
import { RetryThumbnails } from '../../src/application/retry-thumbnails.js';
import { ReconcileThumbnails, type ReconcileOptions } from '../../src/application/reconcile-thumbnails.js';
import { SweepOrphans } from '../../src/application/sweep-orphans.js';
import type { ThumbnailSettings, UploadLimits } from '../../src/application/settings.js';
import { UploadImage } from '../../src/application/upload-image.js';
import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { FakeImageResizer } from '../../src/adapters/memory/fake-image-resizer.js';
import { FixedClock } from '../../src/adapters/memory/fixed-clock.js';
import { InMemoryAttemptLimiter } from '../../src/adapters/memory/in-memory-attempt-limiter.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { InMemoryStorageService } from '../../src/adapters/memory/in-memory-storage-service.js';
import { InMemoryImageEvents } from '../../src/adapters/memory/in-memory-image-events.js';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';
import type { ImageRepository } from '../../src/ports/image-repository.js';
import type { ImageResizer } from '../../src/ports/image-resizer.js';
import type { StorageService } from '../../src/ports/storage-service.js';
import type { TaskHandlers, TaskScheduler } from '../../src/ports/task-scheduler.js';

export interface KitOverrides {
  storage?: StorageService;
  images?: ImageRepository;
  resizer?: ImageResizer;
  scheduler?: TaskScheduler;
  limits?: Partial<UploadLimits>;
  thumbnails?: Partial<ThumbnailSettings>;
  /** Delete-token attempt limits; defaults to the shipped rules on an in-memory limiter over the kit's clock. */
  deleteAttempts?: Partial<DeleteAttemptLimits>;
  /** ReconcileThumbnails options; default stale after a minute, 100 per run. */
  reconcile?: Partial<ReconcileOptions>;
  /** SweepOrphans options; default 1000 keys per run. */
  sweep?: { maxKeys?: number };
}

/** Every use case over in-memory adapters and a fixed clock; the scheduler is not started. */
export function coreKit(overrides: KitOverrides = {}) {
  const storage = overrides.storage ?? new InMemoryStorageService();
  const images = overrides.images ?? new InMemoryImageRepository();
  const resizer = overrides.resizer ?? new FakeImageResizer();
  const scheduler = overrides.scheduler ?? new InProcessTaskScheduler({ concurrency: 1 });
  const events = new InMemoryImageEvents();
  const clock = new FixedClock();
  const logger = new MemoryLogger();
  const limits: UploadLimits = { maxUploadBytes: 1024 * 1024, maxPixels: 10_000_000, ...overrides.limits };
  const deleteAttempts: DeleteAttemptLimits = {
    limiter: new InMemoryAttemptLimiter(clock),
    ...DEFAULT_DELETE_ATTEMPT_RULES,
    ...overrides.deleteAttempts,
  };
  const thumbnails: ThumbnailSettings = { sizes: [300], format: 'jpeg', quality: 85, attempts: 3, backoffMs: 10, ...overrides.thumbnails };
  return {
    storage,
    images,
    resizer,
    scheduler,
    clock,
    logger,
    limits,
    thumbnails,
    events,
    deleteAttempts,
    upload: new UploadImage(storage, images, resizer, scheduler, events, clock, logger, limits, thumbnails),
    generate: new GenerateThumbnails(storage, images, resizer, events, clock, limits, thumbnails),
    getImage: new GetImage(images),
    getOriginal: new GetOriginal(images, storage),
    getThumbnail: new GetThumbnail(images, storage, thumbnails),
    deleteImage: new DeleteImage(images, storage, events, clock, deleteAttempts),
    listImages: new ListImages(images),
    retry: new RetryThumbnails(images, scheduler, clock, thumbnails),
    retryFailed: new RetryFailedThumbnails({ images, scheduler, clock, settings: thumbnails }),
    jobStats: new GetJobStats(scheduler),
    reconcile: new ReconcileThumbnails(images, scheduler, clock, thumbnails, { staleAfterMs: 60_000, maxPerRun: 100, ...overrides.reconcile }),
    sweep: new SweepOrphans(images, storage, { maxKeys: 1000, ...overrides.sweep }),
  };
}

/** The task handlers a worker starts its scheduler with, running this GenerateThumbnails. */
export function thumbnailHandlers(generate: GenerateThumbnails): TaskHandlers {
  return { 'generate-thumbnails': (payload, job) => generate.execute(payload.imageId, job) };
}

/** A job context for calling GenerateThumbnails directly: try `attempt` of `maxAttempts`. */
export function jobContext(attempt = 1, maxAttempts = 3, retryDelayMs = 1000) {
  return { jobId: 'test-job', attempt, maxAttempts, retryDelayMs: attempt < maxAttempts ? retryDelayMs : null };
}
