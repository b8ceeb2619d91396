/**
 * The imagehost core, as a library: the Image aggregate and its value objects, the domain errors
 * (each with a stable `code`), the ports an application implements or picks adapters for, and the
 * use cases, each a plain class with one `execute` method built from port implementations.
 *
 * Nothing here loads a framework, a driver or does I/O of its own. Adapters are separate entry points
 * (`imagehost/adapters/fs`, `imagehost/adapters/sharp`, …), so an application loads only the drivers
 * it uses; `imagehost/testing` has the in-memory adapters and the port contract suites.
 */

// Domain
export { Image, type ImageProps, type Rendition, type ThumbnailState, type ThumbnailStatus } from './domain/image.js';
export { ImageId } from './domain/image-id.js';
export { DeleteToken } from './domain/delete-token.js';
export { ThumbnailSize, type Dimensions } from './domain/thumbnail-size.js';
export { IMAGE_FORMATS, isImageFormat, mediaTypeOf, type ImageFormat } from './domain/image-format.js';
export { storageKeys } from './domain/storage-keys.js';
export {
  DomainError,
  DuplicateImageError,
  EmptyFileError,
  FileTooLargeError,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  ImageNotFoundError,
  ImageTooLargeError,
  InvalidDeleteTokenError,
  InvalidImageError,
  InvalidParameterError,
  ThumbnailNotReadyError,
  UnsupportedMediaTypeError,
} from './domain/errors.js';
export { TooManyAttemptsError } from './domain/too-many-attempts-error.js';

// Ports: each an interface and a same-named token (Symbol.for('imagehost.<Port>')) for containers.
export { AttemptLimiter, type AttemptRule } from './ports/attempt-limiter.js';
export { Clock } from './ports/clock.js';
export { ImageEvents, type ImageEvent, type ImageEventListener } from './ports/image-events.js';
export { ImageRepository, type ImagePage, type ListQuery, type StaleQuery } from './ports/image-repository.js';
export {
  ImageResizer,
  type ImageInfo,
  type RenderedImage,
  type RenderOptions,
  type RenderResult,
  type RenditionFormat,
} from './ports/image-resizer.js';
export { Logger } from './ports/logger.js';
export { StorageService, type ByteRange, type StoredObjectStream } from './ports/storage-service.js';
export {
  PermanentTaskError,
  TASK_TYPES,
  TaskScheduler,
  type JobContext,
  type ScheduleOptions,
  type SchedulerStats,
  type TaskHandler,
  type TaskHandlers,
  type TaskPayloads,
  type TaskType,
} from './ports/task-scheduler.js';
export { STALE_CLAIM_MS, UploadReplays, type ClaimResult, type UploadReplay } from './ports/upload-replays.js';

// Use cases
export type { ThumbnailSettings, UploadLimits } from './application/settings.js';
export { UploadImage, type UploadRequest, type UploadResult } from './application/upload-image.js';
export { IdempotentUpload } from './application/idempotent-upload.js';
export { GenerateThumbnails } from './application/generate-thumbnails.js';
export { GetImage } from './application/get-image.js';
export { GetOriginal, type StoredFile } from './application/get-original.js';
export { GetThumbnail } from './application/get-thumbnail.js';
export { DeleteImage, type DeleteAttemptLimits } from './application/delete-image.js';
export { ListImages, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './application/list-images.js';
export { GetJobStats } from './application/get-job-stats.js';
export { RetryThumbnails, type RequeueDependencies } from './application/retry-thumbnails.js';
export { RetryFailedThumbnails } from './application/retry-failed-thumbnails.js';
export { RegenerateThumbnails, type RegenerateRequest } from './application/regenerate-thumbnails.js';
export { ReconcileThumbnails, type ReconcileOptions } from './application/reconcile-thumbnails.js';
export { SweepOrphans, type SweepResult } from './application/sweep-orphans.js';
