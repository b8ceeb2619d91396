import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { GenerateThumbnails } from '../../src/application/generate-thumbnails.js';
import { errorMiddleware } from '../../src/adapters/http/http-errors.js';
import { metricsRoutes } from '../../src/adapters/http/metrics-routes.js';
import { requestLogging } from '../../src/adapters/http/request-logging.js';
import { uploadMetrics } from '../../src/adapters/http/upload-metrics.js';
import { withJobLogContext } from '../../src/adapters/pino/job-logging.js';
import { createPinoLogger } from '../../src/adapters/pino/pino-logger.js';
import { withJobMetrics } from '../../src/adapters/prometheus/job-metrics.js';
import { MeasuredImageResizer } from '../../src/adapters/prometheus/measured-image-resizer.js';
import { ImagehostMetrics } from '../../src/adapters/prometheus/metrics.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createImagehost, thumbnailSettings, uploadLimits, type Imagehost } from '../../src/imagehost.js';
import { Clock } from '../../src/ports/clock.js';
import { ImageEvents } from '../../src/ports/image-events.js';
import { ImageRepository } from '../../src/ports/image-repository.js';
import { ImageResizer } from '../../src/ports/image-resizer.js';
import { StorageService } from '../../src/ports/storage-service.js';
import { TaskScheduler, type TaskHandlers } from '../../src/ports/task-scheduler.js';
import type { Logger } from '../../src/ports/logger.js';
import { recordResponses, type ResponseRecorder } from './openapi-recorder.js';
import { startS3Server } from './s3-server.js';
import { scratchPostgres } from './scratch-databases.js';

/** Everything the logger wrote, one JSON line per entry; emits 'line' on each. */
export class LogSink extends EventEmitter {
  readonly chunks: string[] = [];

  write(chunk: string): void {
    this.chunks.push(chunk);
    this.emit('line');
  }

  get text(): string {
    return this.chunks.join('');
  }

  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface ObservedServer {
  readonly baseUrl: string;
  readonly host: Imagehost;
  readonly config: Config;
  readonly logger: Logger;
  readonly logs: LogSink;
  readonly metrics: ImagehostMetrics;
  /** Checks every response against the OpenAPI document; close() throws when one departed from it. */
  readonly responses: ResponseRecorder;
  close(): Promise<void>;
}

interface Stack {
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

async function stack(): Promise<Stack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-observed-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  if (process.env.TEST_STACK !== 'production') return { env: { DATA_DIR: dataDir }, close: removeDir };
  const database = await scratchPostgres();
  const s3 = await startS3Server();
  return {
    env: {
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      STORAGE: 'minio',
      S3_ENDPOINT: s3.url,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: 'imagehost-observed',
    },
    async close() {
      await s3.close();
      await database.drop();
      await removeDir();
    },
  };
}

/**
 * The real service on a real socket, logging JSON (pino) into memory, with the observability wiring
 * proposed for src/imagehost.ts applied from outside: a measured resizer, job handlers wrapped for
 * logs and metrics, request logging and upload metrics outermost, and `/metrics`.
 * A request carrying `X-Test-Log` writes one line through the start-up logger, as a use case would,
 * then goes on to its route.
 */
export async function startObservedServer(
  env: Record<string, string> = {},
  options: { worker?: boolean; metricsToken?: string } = {},
): Promise<ObservedServer> {
  const services = await stack();
  const logs = new LogSink();
  const logger = createPinoLogger('info', { destination: logs });
  const config = loadConfig({ ...services.env, THUMBNAIL_BACKOFF_MS: '20', ...env });
  const host = await createImagehost(config, logger);
  const { container } = host;
  const scheduler = container.get<TaskScheduler>(TaskScheduler);
  const metrics = new ImagehostMetrics({ scheduler });

  const generate = new GenerateThumbnails(
    container.get(StorageService),
    container.get(ImageRepository),
    new MeasuredImageResizer(container.get(ImageResizer), metrics),
    container.get(ImageEvents),
    container.get(Clock),
    uploadLimits(config),
    thumbnailSettings(config),
  );
  const handlers: TaskHandlers = { 'generate-thumbnails': (payload, job) => generate.execute(payload.imageId, job) };
  if (options.worker !== false) await scheduler.start(withJobLogContext(withJobMetrics(handlers, metrics), logger));

  const app = new Koa();
  app.silent = true;
  app.use(requestLogging(logger));
  app.use(uploadMetrics((result, seconds) => metrics.observeUpload(result, seconds)));
  app.use(errorMiddleware(logger));
  app.use(metricsRoutes(metrics.registry, { token: options.metricsToken }).routes());
  app.use(async (ctx, next) => {
    if (ctx.get('X-Test-Log')) logger.info({ note: 'from a use case' }, 'inside a request');
    await next();
  });
  for (const middleware of host.app.middleware) app.use(middleware);
  const responses = recordResponses(app);

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    host,
    config,
    logger,
    logs,
    metrics,
    responses,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
      await services.close();
      responses.assertConforming();
    },
  };
}

/** The value of one sample in Prometheus text output, or undefined when it is absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']);
    const found: Record<string, string> = Object.fromEntries(pairs);
    const wanted = Object.entries(labels);
    if (wanted.length === Object.keys(found).length && wanted.every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** Resolves with the first log line matching `predicate`, once it is written (access lines come when the response has gone out). */
export function waitForLine(
  logs: LogSink,
  predicate: (line: Record<string, unknown>) => boolean,
  timeoutMs = 5000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = logs.lines().find(predicate);
      if (!line) return;
      clearTimeout(timer);
      logs.off('line', check);
      resolve(line);
    };
    const timer = setTimeout(() => {
      logs.off('line', check);
      reject(new Error(`no matching log line in ${timeoutMs} ms`));
    }, timeoutMs);
    logs.on('line', check);
    check();
  });
}
