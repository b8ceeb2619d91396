import { ContainerModule } from 'inversify';
import { DeleteImage, type DeleteAttemptLimits } from '../application/delete-image.js';
import { GenerateThumbnails } from '../application/generate-thumbnails.js';
import { GetImage } from '../application/get-image.js';
import { GetOriginal } from '../application/get-original.js';
import { GetThumbnail } from '../application/get-thumbnail.js';
import { GetJobStats } from '../application/get-job-stats.js';
import { IdempotentUpload } from '../application/idempotent-upload.js';
import { ListImages } from '../application/list-images.js';
import { ReconcileThumbnails } from '../application/reconcile-thumbnails.js';
import { SweepOrphans } from '../application/sweep-orphans.js';
import { RetryFailedThumbnails } from '../application/retry-failed-thumbnails.js';
import { RetryThumbnails } from '../application/retry-thumbnails.js';
import type { ThumbnailSettings, UploadLimits } from '../application/settings.js';
import { UploadImage } from '../application/upload-image.js';
import { AttemptLimiter } from '../ports/attempt-limiter.js';
import { Clock } from '../ports/clock.js';
import { ImageEvents } from '../ports/image-events.js';
import { ImageRepository } from '../ports/image-repository.js';
import { ImageResizer } from '../ports/image-resizer.js';
import { Logger } from '../ports/logger.js';
import { StorageService } from '../ports/storage-service.js';
import { TaskScheduler } from '../ports/task-scheduler.js';
import { UploadReplays } from '../ports/upload-replays.js';
import { ThumbnailSettingsToken, UploadLimitsToken } from './tokens.js';

/** Every use case, built from ports by explicit tokens (no decorator metadata). */
export const USE_CASES = [
  UploadImage,
  GenerateThumbnails,
  GetImage,
  GetOriginal,
  GetThumbnail,
  DeleteImage,
  ListImages,
  RetryThumbnails,
  RetryFailedThumbnails,
  GetJobStats,
  IdempotentUpload,
  ReconcileThumbnails,
  SweepOrphans,
] as const;

/** How the reconciler and the orphan sweep behave (their timers live in wiring/maintenance.ts). */
export interface MaintenanceSettings {
  readonly reconcileStaleMs: number;
  readonly sweepMaxKeys: number;
}
const RECONCILE_MAX_PER_RUN = 500;

export function useCaseModule(
  limits: UploadLimits,
  thumbnails: ThumbnailSettings,
  idempotencyWindowMs: number,
  maintenance: MaintenanceSettings,
  deleteAttemptRules: Omit<DeleteAttemptLimits, 'limiter'>,
): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<UploadLimits>(UploadLimitsToken).toConstantValue(limits);
    bind<ThumbnailSettings>(ThumbnailSettingsToken).toConstantValue(thumbnails);
    bind(UploadImage)
      .toResolvedValue(
        (
          s: StorageService,
          r: ImageRepository,
          z: ImageResizer,
          q: TaskScheduler,
          e: ImageEvents,
          c: Clock,
          l: Logger,
          u: UploadLimits,
          t: ThumbnailSettings,
        ) => new UploadImage(s, r, z, q, e, c, l, u, t),
        [StorageService, ImageRepository, ImageResizer, TaskScheduler, ImageEvents, Clock, Logger, UploadLimitsToken, ThumbnailSettingsToken],
      )
      .inSingletonScope();
    bind(GenerateThumbnails)
      .toResolvedValue(
        (s: StorageService, r: ImageRepository, z: ImageResizer, e: ImageEvents, c: Clock, u: UploadLimits, t: ThumbnailSettings) =>
          new GenerateThumbnails(s, r, z, e, c, u, t),
        [StorageService, ImageRepository, ImageResizer, ImageEvents, Clock, UploadLimitsToken, ThumbnailSettingsToken],
      )
      .inSingletonScope();
    bind(GetImage).toResolvedValue((r: ImageRepository) => new GetImage(r), [ImageRepository]).inSingletonScope();
    bind(GetOriginal)
      .toResolvedValue((r: ImageRepository, s: StorageService) => new GetOriginal(r, s), [ImageRepository, StorageService])
      .inSingletonScope();
    bind(GetThumbnail)
      .toResolvedValue(
        (r: ImageRepository, s: StorageService, t: ThumbnailSettings) => new GetThumbnail(r, s, t),
        [ImageRepository, StorageService, ThumbnailSettingsToken],
      )
      .inSingletonScope();
    bind(DeleteImage)
      .toResolvedValue(
        (r: ImageRepository, s: StorageService, e: ImageEvents, c: Clock, a: AttemptLimiter) =>
          new DeleteImage(r, s, e, c, { limiter: a, ...deleteAttemptRules }),
        [ImageRepository, StorageService, ImageEvents, Clock, AttemptLimiter],
      )
      .inSingletonScope();
    bind(ListImages).toResolvedValue((r: ImageRepository) => new ListImages(r), [ImageRepository]).inSingletonScope();
    bind(RetryThumbnails)
      .toResolvedValue(
        (r: ImageRepository, q: TaskScheduler, c: Clock, t: ThumbnailSettings) => new RetryThumbnails(r, q, c, t),
        [ImageRepository, TaskScheduler, Clock, ThumbnailSettingsToken],
      )
      .inSingletonScope();
    bind(RetryFailedThumbnails)
      .toResolvedValue(
        (images: ImageRepository, scheduler: TaskScheduler, clock: Clock, settings: ThumbnailSettings) =>
          new RetryFailedThumbnails({ images, scheduler, clock, settings }),
        [ImageRepository, TaskScheduler, Clock, ThumbnailSettingsToken],
      )
      .inSingletonScope();
    bind(IdempotentUpload)
      .toResolvedValue(
        (u: UploadImage, p: UploadReplays, r: ImageRepository, c: Clock) => new IdempotentUpload(u, p, r, c, idempotencyWindowMs),
        [UploadImage, UploadReplays, ImageRepository, Clock],
      )
      .inSingletonScope();
    bind(ReconcileThumbnails)
      .toResolvedValue(
        (r: ImageRepository, q: TaskScheduler, c: Clock, t: ThumbnailSettings) =>
          new ReconcileThumbnails(r, q, c, t, { staleAfterMs: maintenance.reconcileStaleMs, maxPerRun: RECONCILE_MAX_PER_RUN }),
        [ImageRepository, TaskScheduler, Clock, ThumbnailSettingsToken],
      )
      .inSingletonScope();
    bind(SweepOrphans)
      .toResolvedValue(
        (r: ImageRepository, s: StorageService) => new SweepOrphans(r, s, { maxKeys: maintenance.sweepMaxKeys }),
        [ImageRepository, StorageService],
      )
      .inSingletonScope();
    bind(GetJobStats).toResolvedValue((q: TaskScheduler) => new GetJobStats(q), [TaskScheduler]).inSingletonScope();
  });
}
