import path from 'node:path';
import { z } from 'zod';
import { usableCores } from './cpu-cores.js';

const MiB = 1024 * 1024;

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const sizeList = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'a comma-separated list of whole numbers, e.g. 150,300,600')
  .transform((v) => [...new Set(v.split(',').map(Number))])
  .refine((sizes) => sizes.every((s) => s >= 16 && s <= 4096), 'each size must be from 16 to 4096');

/** Every setting, its default and its check. The README's configuration table mirrors this. */
export const configSchema = z.object({
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|file:|libsql:\/\/)/, 'must start with postgres://, postgresql://, file: or libsql://')
    .optional(),
  DEPENDENCY_TIMEOUT_SECONDS: integer(0, 600).default(30),
  STORAGE: z.enum(['fs', 'minio']).default('fs'),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_ACCESS_KEY: z.string().min(1).optional(),
  S3_SECRET_KEY: z.string().min(1).optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .default('imagehost'),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: flag.default(true),
  MIGRATE_ON_START: flag.default(true),
  MAX_UPLOAD_BYTES: integer(1, 1024 * MiB).default(25 * MiB),
  MAX_PIXELS: integer(1, 2_000_000_000).default(100_000_000),
  THUMBNAIL_SIZES: sizeList.default([150, 300, 600]),
  THUMBNAIL_FORMAT: z.enum(['jpeg', 'webp', 'avif']).default('jpeg'),
  THUMBNAIL_QUALITY: integer(1, 100).default(85),
  THUMBNAIL_ATTEMPTS: integer(1, 50).default(5),
  THUMBNAIL_BACKOFF_MS: integer(1, 3_600_000).default(1000),
  /** Unset: see `workerConcurrency` in the loaded Config. */
  WORKER_CONCURRENCY: integer(1, 64).optional(),
  /** Unset: see `renderConcurrency` in the loaded Config. */
  RENDER_CONCURRENCY: integer(1, 64).optional(),
  QUEUE: z.enum(['in-process', 'bullmq']).default('in-process'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
    .default('imagehost'),
  JOB_LOCK_MS: integer(1000, 3_600_000).default(30_000),
  RECONCILE_INTERVAL_SECONDS: integer(1, 86_400).default(60),
  RECONCILE_STALE_SECONDS: integer(1, 7 * 86_400).default(120),
  SWEEP_INTERVAL_SECONDS: integer(0, 30 * 86_400).default(3600),
  SWEEP_MAX_KEYS: integer(1, 10_000_000).default(10_000),
  IDEMPOTENCY_WINDOW_SECONDS: integer(60, 30 * 86_400).default(86_400),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DECODE_TIMEOUT_SECONDS: integer(1, 3600).default(30),
  /** libvips threads per image (process-wide); the same name libvips reads, so one setting means one thing. */
  VIPS_CONCURRENCY: integer(1, 64).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: flag.default(false),
  METRICS_ENABLED: flag.default(true),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DELETE_ATTEMPTS_PER_IMAGE: integer(1, 1_000_000).default(10),
  DELETE_ATTEMPTS_PER_CLIENT: integer(1, 1_000_000).default(30),
  DELETE_ATTEMPTS_WINDOW_SECONDS: integer(1, 86_400).default(900),
  TRUST_PROXY_HOPS: integer(0, 10).default(0),
  HTTP_REQUEST_TIMEOUT_SECONDS: integer(0, 3600).default(300),
  HTTP_HEADERS_TIMEOUT_SECONDS: integer(1, 600).default(20),
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: integer(1, 600).default(5),
  HTTP_IDLE_TIMEOUT_SECONDS: integer(0, 3600).default(60),
}).superRefine((config, context) => {
  const { HTTP_REQUEST_TIMEOUT_SECONDS: request, HTTP_HEADERS_TIMEOUT_SECONDS: headers } = config;
  if (request > 0 && headers > request) {
    context.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_SECONDS'], message: 'must not exceed HTTP_REQUEST_TIMEOUT_SECONDS' });
  }
  if (config.STORAGE !== 'minio') return;
  for (const name of ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const) {
    if (!config[name]) context.addIssue({ code: 'custom', path: [name], message: 'is required when STORAGE=minio' });
  }
});

export type Config = z.output<typeof configSchema> & {
  readonly databaseUrl: string;
  /** Thumbnail jobs run at once by this process: WORKER_CONCURRENCY, else twice the renders at once, or as many in an API process (see forApiProcess). */
  readonly workerConcurrency: number;
  /** Of those jobs, how many may render at once (decode, resize, encode): see concurrencyOf. */
  readonly renderConcurrency: number;
};

export class ConfigError extends Error {}

const SECRET = /SECRET|PASSWORD|TOKEN/;

/** Parses the environment once. Throws ConfigError whose message names each bad variable on its own line. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = present[name];
      if (value === undefined) return `${name} ${issue.message.startsWith('is ') ? issue.message : `is missing: ${issue.message}`}`;
      const shown = SECRET.test(name) ? '(hidden)' : JSON.stringify(value);
      return `${name}=${shown} is invalid: ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const config = parsed.data;
  const databaseUrl = config.DATABASE_URL ?? `file:${path.join(config.DATA_DIR, 'imagehost.db')}`;
  return { ...config, databaseUrl, ...concurrencyOf(config, { renders: usableCores() + 1, jobsPerRender: 2 }) };
}

/**
 * Jobs and renders at once. Renders: RENDER_CONCURRENCY, else `renders`. Jobs: WORKER_CONCURRENCY, else
 * `jobsPerRender` times the renders. Never more renders than jobs.
 *
 * A worker renders one image more than the cores (a render's own hand-offs between its threads leave a
 * core idle now and then, and the extra render fills it) and runs twice as many jobs: while some read
 * their original or write and record their renditions (about a sixth of a job's time on a local disk, more
 * on S3 and PostgreSQL), the others render (see LimitedImageResizer).
 */
function concurrencyOf(
  config: z.output<typeof configSchema>,
  defaults: { renders: number; jobsPerRender: number },
): Pick<Config, 'workerConcurrency' | 'renderConcurrency'> {
  const renders = config.RENDER_CONCURRENCY ?? defaults.renders;
  const workerConcurrency = config.WORKER_CONCURRENCY ?? defaults.jobsPerRender * renders;
  return { workerConcurrency, renderConcurrency: Math.min(renders, workerConcurrency) };
}

/**
 * The configuration of an API process: with the in-process queue it makes the thumbnails while it
 * takes uploads, so unless RENDER_CONCURRENCY says otherwise its renders get half the cores and uploads
 * keep the rest (on 2 cores, 2 jobs rendering at once made upload p95 1.32× what it is without
 * thumbnailing; 1, 0.97×). And it runs no more jobs than renders unless WORKER_CONCURRENCY says so: the
 * core a job leaves idle while it writes goes to uploads (one extra job made upload p95 1.27×, against
 * 1.07× without it; see bench/NOTES.md). Workers and the CLI's import and regenerate: see concurrencyOf.
 */
export function forApiProcess(config: Config): Config {
  if (config.QUEUE !== 'in-process') return config;
  return { ...config, ...concurrencyOf(config, { renders: Math.max(1, Math.floor(usableCores() / 2)), jobsPerRender: 1 }) };
}
