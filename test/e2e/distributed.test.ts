import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceReachable, TEST_POSTGRES_URL, TEST_REDIS_URL } from '../support/real-services.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import * as samples from '../support/sample-images.js';
import { scratchPostgres, type ScratchDatabase } from '../support/scratch-databases.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { readEvents } from '../support/sse.js';
import { uploadFile, waitForThumbnail } from '../support/test-server.js';
import { productionStackEnv } from '../support/stack-env.js';

const reachable = (await serviceReachable('Redis', TEST_REDIS_URL)) && (await serviceReachable('PostgreSQL', TEST_POSTGRES_URL));
const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** API and workers as separate processes on PostgreSQL, Redis (BullMQ) and an S3 server. */
describe.skipIf(!reachable)('scaled out: API and worker processes', () => {
  let database: ScratchDatabase;
  let s3: S3TestServer;
  let env: Record<string, string>;
  let api: ServiceProcess;
  const workers: ServiceProcess[] = [];
  const startWorker = async () => {
    const worker = await startService(env, ['node', 'dist/src/main.js', 'worker']);
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    database = await scratchPostgres();
    s3 = await startS3Server();
    env = {
      ...productionStackEnv({ databaseUrl: database.url, s3, redisUrl: TEST_REDIS_URL, queue: 'e2e' }),
      JOB_LOCK_MS: '1500',
      THUMBNAIL_SIZES: '150,300,600',
      THUMBNAIL_BACKOFF_MS: '100',
      ADMIN_TOKEN,
    };
    api = await startService(env, ['node', 'dist/src/main.js', 'serve']);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([api, ...workers].map((process) => process?.stop()));
    await s3?.close();
    await database?.drop();
  });

  async function upload(bytes: Uint8Array): Promise<string> {
    const response = await uploadFile(api.baseUrl, bytes);
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  /** Polls until a worker has taken the image's job; until then it must be pending. */
  async function untilProcessing(id: string): Promise<void> {
    for (;;) {
      const body = (await (await fetch(`${api.baseUrl}/api/v1/images/${id}`)).json()) as { thumbnail_status: string };
      if (body.thumbnail_status === 'processing') return;
      expect(body.thumbnail_status).toBe('pending');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('the API only enqueues: uploads wait until a worker runs, then become ready', async () => {
    const ids = [await upload(await samples.jpeg(900, 600)), await upload(await samples.png(400, 400, { alpha: true }))];
    const waiting = (await (await fetch(`${api.baseUrl}/api/v1/jobs`)).json()) as { waiting: number };
    expect(waiting.waiting).toBe(2);
    for (const id of ids) expect(((await (await fetch(`${api.baseUrl}/api/v1/images/${id}`)).json()) as { thumbnail_status: string }).thumbnail_status).toBe('pending');

    const live = await fetch(`${api.baseUrl}/api/v1/images/${ids[0]}/events`);
    const worker = await startWorker();
    // Made by the worker process, announced through Redis, streamed by the API process.
    const seen = await readEvents(live, (events) => events.some((e) => e.data.status === 'ready'));
    expect(seen.map((e) => e.data.status)).toEqual(['processing', 'ready']);
    for (const id of ids) {
      const ready = await waitForThumbnail(api.baseUrl, id);
      expect(ready).toMatchObject({ thumbnail_status: 'ready' });
      expect((ready.renditions as { size: number }[]).map((r) => r.size)).toEqual([150, 300, 600]);
    }
    const ready = await (await fetch(`${worker.baseUrl}/readyz`)).json();
    expect(ready).toEqual({ status: 'ready', checks: { database: 'ok', storage: 'ok', queue: 'ok' } });
    expect(await worker.stop()).toBe(0);
  });

  it("a worker killed mid-job loses nothing: a new worker finishes the job", async () => {
    // A large PNG (no shrink-on-load) keeps the job running long enough to be caught mid-way.
    const big = new Uint8Array(await sharp({ create: { width: 7000, height: 5000, channels: 3, background: '#3a6' } }).png({ compressionLevel: 1 }).toBuffer());
    const id = await upload(big);
    const doomed = await startWorker();
    await untilProcessing(id);
    process.kill(doomed.child.pid!, 'SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));

    await startWorker();
    expect(await waitForThumbnail(api.baseUrl, id, 30_000)).toMatchObject({ thumbnail_status: 'ready' });
  });

  it('a worker sent SIGTERM mid-job finishes the job, then stops cleanly', async () => {
    // The only worker: the job is surely its own.
    for (const other of workers.splice(0)) await other.stop();
    const big = new Uint8Array(await sharp({ create: { width: 7000, height: 5001, channels: 3, background: '#63a' } }).png({ compressionLevel: 1 }).toBuffer());
    const id = await upload(big);
    const stopping = await startWorker();
    await untilProcessing(id);

    expect(await stopping.stop()).toBe(0); // SIGTERM

    expect(stopping.lines.some((line) => line.includes('"msg":"stopped cleanly"'))).toBe(true);
    const image = (await (await fetch(`${api.baseUrl}/api/v1/images/${id}`)).json()) as { thumbnail_status: string };
    expect(image.thumbnail_status).toBe('ready');
    await startWorker(); // for the tests that follow
  });

  it('a corrupt image ends failed with its reason, visible in the failed-jobs list', async () => {
    const id = await upload(samples.truncated(await samples.jpeg(800, 600), 0.4));
    expect(await waitForThumbnail(api.baseUrl, id)).toMatchObject({ thumbnail_status: 'failed', thumbnail_error: 'INVALID_IMAGE' });
    const failed = (await (await fetch(`${api.baseUrl}/api/v1/jobs/failed`, { headers: admin })).json()) as { items: { image_id: string }[] };
    expect(failed.items.map((item) => item.image_id)).toContain(id);
    const stats = (await (await fetch(`${api.baseUrl}/api/v1/jobs`)).json()) as { failed: number };
    expect(stats.failed).toBeGreaterThanOrEqual(1);
  });

  it('serves the queue dashboard to admins only', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      for (const headers of [{}, { Authorization: 'Bearer wrong-token-wrong-token' }] as Record<string, string>[]) {
        expect((await fetch(`${api.baseUrl}${path}`, { headers })).status).toBe(401);
      }
    }
    const page = await fetch(`${api.baseUrl}/admin/queues`, { headers: admin });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const queues = await fetch(`${api.baseUrl}/admin/queues/api/queues`, { headers: admin });
    expect(queues.status).toBe(200);
    expect(JSON.stringify(await queues.json())).toContain(env.QUEUE_NAME);
  });
});
