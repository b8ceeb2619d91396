import { Container, type ContainerModule } from 'inversify';
import type Koa from 'koa';
import { DeleteImage, type DeleteAttemptLimits } from './application/delete-image.js';
import { GenerateThumbnails } from './application/generate-thumbnails.js';
import { GetImage } from './application/get-image.js';
import { GetOriginal } from './application/get-original.js';
import { GetThumbnail } from './application/get-thumbnail.js';
import { GetJobStats } from './application/get-job-stats.js';
import { ListImages } from './application/list-images.js';
import { ReconcileThumbnails } from './application/reconcile-thumbnails.js';
import { SweepOrphans } from './application/sweep-orphans.js';
import { startMaintenance, type Maintenance } from './wiring/maintenance.js';
import { RetryFailedThumbnails } from './application/retry-failed-thumbnails.js';
import { RetryThumbnails } from './application/retry-thumbnails.js';
import { IdempotentUpload } from './application/idempotent-upload.js';
import type { ThumbnailSettings, UploadLimits } from './application/settings.js';
import type { ReadinessCheck } from './adapters/http/health-routes.js';
import { createHttpApp } from './adapters/http/http-app.js';
import { metricsRoutes } from './adapters/http/metrics-routes.js';
import { requestLogging } from './adapters/http/request-logging.js';
import { uploadMetrics } from './adapters/http/upload-metrics.js';
import { withJobLogContext } from './adapters/pino/job-logging.js';
import { withJobMetrics } from './adapters/prometheus/job-metrics.js';
import { ImagehostMetrics } from './adapters/prometheus/metrics.js';
import { openDatabase, type Database } from './adapters/mikro-orm/database.js';
import type { Config } from './config.js';
import { Logger } from './ports/logger.js';
import type { StopOptions, TaskHandlers } from './ports/task-scheduler.js';
import {
  connectStorage,
  createEvents,
  createScheduler,
  eventsModule,
  platformModule,
  databaseModule,
  queueAdminMounts,
  resizerModule,
  schedulerModule,
  storageModule,
} from './wiring/adapter-modules.js';
import { waitForDependency } from './wiring/wait-for-dependency.js';
import { USE_CASES, useCaseModule } from './wiring/use-case-module.js';
import { attemptLimiterModule, createAttemptLimiter } from './wiring/adapter-modules.js';

/** A wired imagehost: the HTTP app, the background worker and the resources to close. */
export interface Imagehost {
  readonly container: Container;
  readonly app: Koa;
  readonly database: Database;
  /** What `/readyz` checks; a worker process serves them on its own health port. */
  readonly readinessChecks: readonly ReadinessCheck[];
  /** This process's Prometheus metrics (uploads, renders, jobs, queue depth, process); undefined with METRICS_ENABLED=false. */
  readonly metrics: ImagehostMetrics | undefined;
  /** Starts running thumbnail tasks in this process. */
  startWorker(): Promise<void>;
  /**
   * Starts the reconciler (at once, then every RECONCILE_INTERVAL_SECONDS) and the orphan sweep
   * (SWEEP_INTERVAL_SECONDS; 0 = never). Idempotent; close() stops it first.
   */
  startMaintenance(): void;
  /**
   * Drains in-flight tasks and closes connections. With `graceMs`, tasks still running after that long
   * are handed back to a durable queue (or dropped by the in-process one). Idempotent.
   */
  close(options?: StopOptions): Promise<void>;
}

export function uploadLimits(config: Config): UploadLimits {
  return { maxUploadBytes: config.MAX_UPLOAD_BYTES, maxPixels: config.MAX_PIXELS };
}

export function thumbnailSettings(config: Config): ThumbnailSettings {
  return {
    sizes: config.THUMBNAIL_SIZES,
    format: config.THUMBNAIL_FORMAT,
    quality: config.THUMBNAIL_QUALITY,
    attempts: config.THUMBNAIL_ATTEMPTS,
    backoffMs: config.THUMBNAIL_BACKOFF_MS,
  };
}

export function deleteAttemptRules(config: Config): Omit<DeleteAttemptLimits, 'limiter'> {
  const windowMs = config.DELETE_ATTEMPTS_WINDOW_SECONDS * 1000;
  return {
    perImage: { maxFailures: config.DELETE_ATTEMPTS_PER_IMAGE, windowMs },
    perClient: { maxFailures: config.DELETE_ATTEMPTS_PER_CLIENT, windowMs },
  };
}

/** Every use case, bound with the settings `config` gives them (the adapters they use are bound apart). */
export function useCaseBindings(config: Config): ContainerModule {
  return useCaseModule(uploadLimits(config), thumbnailSettings(config), config.IDEMPOTENCY_WINDOW_SECONDS * 1000, {
    reconcileStaleMs: config.RECONCILE_STALE_SECONDS * 1000,
    sweepMaxKeys: config.SWEEP_MAX_KEYS,
  }, deleteAttemptRules(config));
}

/** The composition root: builds every adapter named by `config` and checks the wiring before anything runs. */
export async function createImagehost(config: Config, logger: Logger): Promise<Imagehost> {
  const wait = config.DEPENDENCY_TIMEOUT_SECONDS;
  const database = await waitForDependency('database', wait, logger, () => openDatabase({ url: config.databaseUrl }).then(pinged));
  let cleanup = (_options?: StopOptions): Promise<void> => Promise.resolve();
  try {
    const storage = await waitForDependency('storage', wait, logger, () => connectStorage(config));
    const scheduler = await createScheduler(config, logger);
    const events = await createEvents(config, logger);
    const attempts = await createAttemptLimiter(config, logger);
    const metrics = config.METRICS_ENABLED ? new ImagehostMetrics({ scheduler }) : undefined;
    cleanup = (options?: StopOptions) => Promise.all([scheduler.stop(options), events.close(), attempts.close()]).then(() => undefined);
    await waitForDependency('queue', wait, logger, () => scheduler.stats());
    if (config.MIGRATE_ON_START) {
      const applied = await database.migrate();
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    }
    const container = new Container();
    container.load(
      platformModule(logger),
      storageModule(storage),
      databaseModule(database.orm),
      schedulerModule(scheduler),
      eventsModule(events),
      resizerModule(config, metrics),
      attemptLimiterModule(attempts.limiter),
      useCaseBindings(config),
    );
    assertWired(container);
    const readinessChecks: ReadinessCheck[] = [
      { name: 'database', check: () => database.ping() },
      // Any answer for a key that never exists proves the store (and its bucket) is reachable.
      { name: 'storage', check: () => storage.get('readiness/probe') },
      { name: 'queue', check: () => scheduler.stats() },
    ];
    const app = createHttpApp({
      logger,
      maxUploadBytes: config.MAX_UPLOAD_BYTES,
      adminToken: config.ADMIN_TOKEN,
      events,
      adminMounts: queueAdminMounts(scheduler),
      readinessChecks,
      outerMiddleware: [
        requestLogging(logger),
        ...(metrics ? [uploadMetrics((result, seconds) => metrics.observeUpload(result, seconds))] : []),
      ],
      extraRouters: metrics ? [metricsRoutes(metrics.registry, { token: config.METRICS_TOKEN })] : [],
      useCases: {
        upload: container.get(IdempotentUpload),
        getImage: container.get(GetImage),
        getOriginal: container.get(GetOriginal),
        getThumbnail: container.get(GetThumbnail),
        deleteImage: container.get(DeleteImage),
        listImages: container.get(ListImages),
        retry: container.get(RetryThumbnails),
        retryFailed: container.get(RetryFailedThumbnails),
        jobStats: container.get(GetJobStats),
      },
    });
    // Behind TRUST_PROXY_HOPS reverse proxies, ctx.ip is the address the outermost trusted one saw
    // (X-Forwarded-For counted from the right, so a client cannot choose it); otherwise the socket's peer.
    app.proxy = config.TRUST_PROXY_HOPS > 0;
    app.maxIpsCount = config.TRUST_PROXY_HOPS;
    const generate = container.get(GenerateThumbnails);
    const core: TaskHandlers = {
      'generate-thumbnails': (payload, job) => generate.execute(payload.imageId, job),
    };
    const handlers = withJobLogContext(metrics ? withJobMetrics(core, metrics) : core, logger);
    let closing: Promise<void> | undefined;
    let maintenance: Maintenance | undefined;
    return {
      container,
      app,
      database,
      readinessChecks,
      metrics,
      startWorker: () => scheduler.start(handlers),
      startMaintenance: () => {
        maintenance ??= startMaintenance(container.get(ReconcileThumbnails), container.get(SweepOrphans), logger, {
          reconcileIntervalMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
          sweepIntervalMs: config.SWEEP_INTERVAL_SECONDS * 1000,
        });
      },
      // Upkeep first (it uses the scheduler and the database), then the scheduler, then the database.
      close: (options?: StopOptions) =>
        (closing ??= (maintenance?.stop() ?? Promise.resolve()).then(() => cleanup(options)).finally(() => database.close())),
    };
  } catch (error) {
    await cleanup().catch(() => undefined);
    await database.close();
    throw error;
  }
}

async function pinged(database: Database): Promise<Database> {
  try {
    await database.ping();
    return database;
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

/** Resolves every use case once, so a missing binding fails at start-up with its name, not on a request. */
function assertWired(container: Container): void {
  for (const useCase of USE_CASES) {
    try {
      container.get<unknown>(useCase);
    } catch (error) {
      throw new Error(`imagehost is mis-wired: cannot build ${useCase.name}`, { cause: error });
    }
  }
  container.get(Logger);
}
