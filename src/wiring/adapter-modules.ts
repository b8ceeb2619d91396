import path from 'node:path';
import { ContainerModule } from 'inversify';
import type { Config } from '../config.js';
import type { Middleware } from 'koa';
import type { HttpAppOptions } from '../adapters/http/http-app.js';
import { QUEUE_DASHBOARD_PATH } from '../adapters/bullmq/dashboard-path.js';
import { FsStorageService } from '../adapters/fs/fs-storage-service.js';
import { InMemoryAttemptLimiter } from '../adapters/memory/in-memory-attempt-limiter.js';
import { InMemoryImageEvents } from '../adapters/memory/in-memory-image-events.js';
import { InProcessTaskScheduler } from '../adapters/in-process/in-process-task-scheduler.js';
import { LimitedImageResizer } from '../adapters/sharp/limited-image-resizer.js';
import { SharpImageResizer } from '../adapters/sharp/sharp-image-resizer.js';
import { MeasuredImageResizer } from '../adapters/prometheus/measured-image-resizer.js';
import type { ImagehostMetrics } from '../adapters/prometheus/metrics.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import { AttemptLimiter } from '../ports/attempt-limiter.js';
import { Clock } from '../ports/clock.js';
import { ImageEvents } from '../ports/image-events.js';
import { ImageRepository } from '../ports/image-repository.js';
import { ImageResizer } from '../ports/image-resizer.js';
import { Logger } from '../ports/logger.js';
import { StorageService } from '../ports/storage-service.js';
import { TaskScheduler } from '../ports/task-scheduler.js';
import { UploadReplays } from '../ports/upload-replays.js';
import type { MikroORM } from '@mikro-orm/core';
import { MikroOrmImageRepository } from '../adapters/mikro-orm/mikro-orm-image-repository.js';
import { MikroOrmUploadReplays } from '../adapters/mikro-orm/mikro-orm-upload-replays.js';

/**
 * One module per adapter family; main.ts picks them from configuration. The adapters of the scaled-out
 * stack (MinIO/S3, BullMQ, Redis) are imported only when configured, as the database drivers are, and
 * the queue dashboard only on its first request: a process on the embedded defaults never loads their
 * clients, and its heap, which every full garbage collection marks, stays that much smaller (see
 * bench/NOTES.md, Tuning).
 */
export function platformModule(logger: Logger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<Logger>(Logger).toConstantValue(logger);
    bind<Clock>(Clock).toConstantValue(new SystemClock());
  });
}

export function storageModule(storage: StorageService): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<StorageService>(StorageService).toConstantValue(storage);
  });
}

/** The configured StorageService, connected (for MinIO/S3: the bucket exists, created if missing). */
export async function connectStorage(config: Config): Promise<StorageService> {
  if (config.STORAGE === 'fs') return new FsStorageService(path.join(config.DATA_DIR, 'objects'));
  const { MinioStorageService } = await import('../adapters/minio/minio-storage-service.js');
  return MinioStorageService.connect({
    endPoint: config.S3_ENDPOINT ?? '',
    accessKey: config.S3_ACCESS_KEY ?? '',
    secretKey: config.S3_SECRET_KEY ?? '',
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    pathStyle: config.S3_FORCE_PATH_STYLE,
  });
}

/** Everything kept in the database: image metadata and upload replays. */
export function databaseModule(orm: MikroORM): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<ImageRepository>(ImageRepository).toConstantValue(new MikroOrmImageRepository(orm));
    bind<UploadReplays>(UploadReplays).toConstantValue(new MikroOrmUploadReplays(orm));
  });
}

export function schedulerModule(scheduler: TaskScheduler): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<TaskScheduler>(TaskScheduler).toConstantValue(scheduler);
  });
}

export function eventsModule(events: ImageEvents): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<ImageEvents>(ImageEvents).toConstantValue(events);
  });
}

/** Live image events: in this process, or over Redis Pub/Sub when workers run in other processes. */
export async function createEvents(config: Config, logger: Logger): Promise<ImageEvents> {
  if (config.QUEUE === 'in-process') return new InMemoryImageEvents({ logger });
  const { RedisImageEvents } = await import('../adapters/redis/redis-image-events.js');
  return new RedisImageEvents({ url: config.REDIS_URL, channel: `${config.QUEUE_NAME}:image-events`, logger });
}

/** The configured TaskScheduler: in this process, or on BullMQ (Redis) shared by every process. */
export async function createScheduler(config: Config, logger: Logger): Promise<TaskScheduler> {
  const concurrency = config.workerConcurrency;
  if (config.QUEUE === 'in-process') return new InProcessTaskScheduler({ concurrency, logger });
  const { BullMqTaskScheduler } = await import('../adapters/bullmq/bullmq-task-scheduler.js');
  return new BullMqTaskScheduler({
    connection: { url: config.REDIS_URL },
    queueName: config.QUEUE_NAME,
    concurrency,
    logger,
    lockDurationMs: config.JOB_LOCK_MS,
    stalledIntervalMs: config.JOB_LOCK_MS,
  });
}

/**
 * The queue's dashboard (bull-board, under /admin/queues) when the scheduler is BullMQ's; none otherwise.
 * bull-board is loaded on the dashboard's first request, not at start-up: worker processes, which never
 * serve it, and API processes whose admins never open it, go without it.
 */
export function queueAdminMounts(scheduler: TaskScheduler): NonNullable<HttpAppOptions['adminMounts']> {
  if (scheduler instanceof InProcessTaskScheduler) return [];
  let dashboard: Promise<Middleware> | undefined;
  const load = async (): Promise<Middleware> => {
    const [{ BullMqTaskScheduler }, { queueDashboard }] = await Promise.all([
      import('../adapters/bullmq/bullmq-task-scheduler.js'),
      import('../adapters/bullmq/queue-dashboard.js'),
    ]);
    if (!(scheduler instanceof BullMqTaskScheduler)) throw new Error('the queue dashboard needs the BullMQ scheduler');
    return queueDashboard(scheduler).middleware;
  };
  const middleware: Middleware = async (ctx, next) => {
    // A failed load is tried again on the next request rather than remembered.
    dashboard ??= load().catch((error: unknown) => {
      dashboard = undefined;
      throw error;
    });
    await (await dashboard)(ctx, next);
  };
  return [{ path: QUEUE_DASHBOARD_PATH, middleware }];
}

/** sharp, timed for /metrics when `metrics` is given, rendering at most `renderConcurrency` images at once. */
export function resizerModule(config: Config, metrics?: ImagehostMetrics): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const sharp = new SharpImageResizer({
      maxPixels: config.MAX_PIXELS,
      timeoutSeconds: config.DECODE_TIMEOUT_SECONDS,
      threadsPerImage: config.VIPS_CONCURRENCY,
      operationCache: false,
    });
    // Limited outside the timing, so /metrics' render durations leave out the wait for a turn.
    const measured = metrics ? new MeasuredImageResizer(sharp, metrics) : sharp;
    bind<ImageResizer>(ImageResizer).toConstantValue(new LimitedImageResizer(measured, config.renderConcurrency));
  });
}

/**
 * Counting of wrong delete tokens: in this process with the in-process queue, in Redis (shared by
 * every API process) with BullMQ, where API processes are scaled out.
 */
export async function createAttemptLimiter(config: Config, logger: Logger): Promise<{ limiter: AttemptLimiter; close(): Promise<void> }> {
  const clock = new SystemClock();
  if (config.QUEUE === 'in-process') return { limiter: new InMemoryAttemptLimiter(clock), close: () => Promise.resolve() };
  const { RedisAttemptLimiter } = await import('../adapters/redis/redis-attempt-limiter.js');
  const limiter = new RedisAttemptLimiter({ url: config.REDIS_URL, prefix: `${config.QUEUE_NAME}:attempts:`, clock, logger });
  return { limiter, close: () => limiter.close() };
}

export function attemptLimiterModule(limiter: AttemptLimiter): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<AttemptLimiter>(AttemptLimiter).toConstantValue(limiter);
  });
}
