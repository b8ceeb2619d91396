import { once } from 'node:events';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceReachable, TEST_POSTGRES_URL } from '../support/real-services.js';
import { startRedisServer, type RedisTestServer } from '../support/redis-server.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import * as samples from '../support/sample-images.js';
import { scratchPostgres, type ScratchDatabase } from '../support/scratch-databases.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { uploadFile, waitForThumbnail } from '../support/test-server.js';
import { productionStackEnv } from '../support/stack-env.js';

const reachable = await serviceReachable('PostgreSQL', TEST_POSTGRES_URL);
const RESCHEDULED = 'rescheduled thumbnail work that had stalled';
/**
 * Reconciler settings of the API processes. LIVE reconciles every second what has been quiet for 8 s:
 * longer than an upload whose enqueue waits 5 s for a dead Redis, so that no reconcile run takes part
 * in the outage itself. STARTUP_ONLY reconciles once, at start-up (the next run is an hour away).
 */
const LIVE = { RECONCILE_INTERVAL_SECONDS: '1', RECONCILE_STALE_SECONDS: '8' };
const STARTUP_ONLY = { RECONCILE_INTERVAL_SECONDS: '3600', RECONCILE_STALE_SECONDS: '1' };

interface LogLine {
  msg?: string;
  imageId?: string;
  rescheduled?: number;
  err?: { code?: string };
}
const parsed = (lines: readonly string[]): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine);

/**
 * Thumbnail work lost between the database commit and the queue, on the production stack: an API
 * process and a worker process on a scratch PostgreSQL database, s3rver, and a Redis of the test's own
 * WITHOUT persistence (a killed Redis comes back empty, so the test decides what the queue still holds).
 * Every scenario ends with the image ready only because a reconciler queued its job again.
 */
describe.skipIf(!reachable)('reconciler with BullMQ: lost thumbnail jobs are queued again', () => {
  let database: ScratchDatabase;
  let s3: S3TestServer;
  let redis: RedisTestServer;
  let env: Record<string, string>;
  let worker: ServiceProcess;
  const services: ServiceProcess[] = [];
  const frozen = new Set<number>();

  const start = async (command: 'serve' | 'worker', extra: Record<string, string> = {}) => {
    const service = await startService({ ...env, ...extra }, ['node', 'dist/src/main.js', command]);
    services.push(service);
    return service;
  };
  const kill = async (service: ServiceProcess) => {
    const exited = once(service.child, 'exit');
    process.kill(-service.child.pid!, 'SIGKILL');
    await exited;
  };
  /** The jobs (with the image each is for) that the queue holds in Redis right now. */
  const queuedImages = async (): Promise<string[]> => {
    const queue = new Queue(env.QUEUE_NAME!, { connection: { url: redis.url } });
    try {
      const jobs = await queue.getJobs(['waiting', 'prioritized', 'active', 'delayed']);
      return jobs.map((job) => (job.data as { imageId: string }).imageId);
    } finally {
      await queue.close();
    }
  };
  const statusOf = async (api: ServiceProcess, id: string) =>
    ((await (await fetch(`${api.baseUrl}/api/v1/images/${id}`)).json()) as { thumbnail_status: string }).thumbnail_status;
  const upload = async (api: ServiceProcess, bytes: Uint8Array) => {
    const response = await uploadFile(api.baseUrl, bytes);
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  /** Polls with a bound; `what` names the condition in the failure. */
  const until = async <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    database = await scratchPostgres();
    s3 = await startS3Server();
    redis = await startRedisServer({ persistence: false });
    env = {
      ...productionStackEnv({ databaseUrl: database.url, s3, redisUrl: redis.url, queue: 'e2e-reconcile' }),
      JOB_LOCK_MS: '1500',
      THUMBNAIL_SIZES: '150,300',
      THUMBNAIL_BACKOFF_MS: '100',
    };
    worker = await start('worker');
  }, 60_000);

  afterAll(async () => {
    for (const pid of frozen) process.kill(pid, 'SIGCONT'); // a stopped process would never handle SIGTERM
    await Promise.all(services.map((service) => service.stop()));
    await redis?.close();
    await s3?.close();
    await database?.drop();
  });

  it('commit without enqueue (Redis down at upload): the live API reconciler queues the image again, the worker makes it ready', async () => {
    const api = await start('serve', LIVE);
    await redis.kill();
    // The worker is kept from taking a job until Redis is back and the test has chosen what the queue holds.
    process.kill(worker.child.pid!, 'SIGSTOP');
    frozen.add(worker.child.pid!);

    const id = await upload(api, await samples.jpeg(640, 480));
    const failedEnqueue = await until('the failed enqueue is logged', () =>
      parsed(api.lines).find((line) => line.msg === 'could not schedule thumbnail generation' && line.imageId === id),
    );
    expect(failedEnqueue.err?.code).toBe('QUEUE_UNAVAILABLE');
    expect(await statusOf(api, id)).toBe('pending');

    await redis.start(); // empty: no persistence
    // The enqueue that timed out is still held by the API's Redis client and goes through once Redis
    // is back (job ids deduplicate, so that is harmless). Wait for it, then drop it: from here on the
    // job really is absent from Redis, as if the API had lost it for good.
    await until('the timed-out enqueue lands in the restarted Redis', async () => ((await queuedImages()).includes(id) ? true : undefined));
    const client = new Redis(redis.url);
    await client.flushall();
    await client.quit();
    const flushedAt = api.lines.length;
    process.kill(worker.child.pid!, 'SIGCONT');
    frozen.delete(worker.child.pid!);

    expect(await waitForThumbnail(api.baseUrl, id, 20_000)).toMatchObject({ id, thumbnail_status: 'ready' });
    const reconciled = await until('the reconciler logs its run', () => parsed(api.lines.slice(flushedAt)).find((line) => line.msg === RESCHEDULED));
    expect(reconciled.rescheduled).toBe(1);
    expect(worker.child.exitCode).toBeNull();
    expect(await api.stop()).toBe(0);
  });

  it('API SIGKILLed between the commit and the enqueue: a new API process queues the image at start-up', async () => {
    const doomed = await start('serve', STARTUP_ONLY);
    await redis.kill(); // the enqueue cannot happen: it waits (up to 5 s) for Redis
    const known = new Set(((await (await fetch(`${doomed.baseUrl}/api/v1/images`)).json()) as { items: { id: string }[] }).items.map((image) => image.id));
    const uploading = uploadFile(doomed.baseUrl, await samples.png(500, 400)).then(
      (response) => response.status,
      (error: unknown) => error,
    );
    // The row is committed (listed) while the upload still waits for its enqueue: kill the process then.
    const committed = await until('the upload is committed', async () => {
      const page = (await (await fetch(`${doomed.baseUrl}/api/v1/images`)).json()) as { items: { id: string; created_at: string; thumbnail_status: string }[] };
      return page.items.find((image) => !known.has(image.id));
    });
    await kill(doomed);
    expect(committed.thumbnail_status).toBe('pending');
    expect(await uploading).toBeInstanceOf(Error); // never answered: killed mid-request
    expect(doomed.lines.some((line) => line.includes('could not schedule thumbnail generation'))).toBe(false);

    await redis.start(); // empty, and the enqueue died with its process
    expect(await queuedImages()).toEqual([]);
    // Older than RECONCILE_STALE_SECONDS before the new process starts, so its start-up run must take it.
    const staleAt = Date.parse(committed.created_at) + Number(STARTUP_ONLY.RECONCILE_STALE_SECONDS) * 1000 + 100;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, staleAt - Date.now())));
    const api = await start('serve', STARTUP_ONLY);

    expect(await waitForThumbnail(api.baseUrl, committed.id, 20_000)).toMatchObject({ id: committed.id, thumbnail_status: 'ready' });
    await until('the start-up reconcile is logged', () => parsed(api.lines).find((line) => line.msg === RESCHEDULED));
    expect(await api.stop()).toBe(0);
    expect(parsed(api.lines).filter((line) => line.msg === RESCHEDULED).map((line) => line.rescheduled)).toEqual([1]);
  });

  it('Redis restarted without its data while a job is queued and no worker runs: once a worker starts, the reconciler re-queues it', async () => {
    expect(await worker.stop()).toBe(0);
    // An API whose reconciler never runs after start-up: nothing but the upload writes to the queue.
    const quiet = await start('serve', STARTUP_ONLY);
    const id = await upload(quiet, await samples.webp(600, 400));
    expect(await queuedImages()).toEqual([id]);
    expect(((await (await fetch(`${quiet.baseUrl}/api/v1/jobs`)).json()) as { waiting: number }).waiting).toBe(1);

    await redis.restart(); // SIGKILL, and back empty
    expect(await queuedImages()).toEqual([]);
    expect(await statusOf(quiet, id)).toBe('pending');

    const api = await start('serve', { RECONCILE_INTERVAL_SECONDS: '1', RECONCILE_STALE_SECONDS: '1' });
    worker = await start('worker');
    expect(await waitForThumbnail(api.baseUrl, id, 20_000)).toMatchObject({ id, thumbnail_status: 'ready' });
    expect(await until('the reconciler logs its run', () => parsed(api.lines).find((line) => line.msg === RESCHEDULED))).toMatchObject({ rescheduled: 1 });
    expect(parsed(quiet.lines).some((line) => line.msg === RESCHEDULED)).toBe(false);
    expect(await Promise.all([api.stop(), quiet.stop()])).toEqual([0, 0]);
  });
});
