import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/mikro-orm/database.js';
import { mixedLoad, rssMiB, settle, waitReady } from '../support/mixed-load.js';
import { serviceReachable, TEST_POSTGRES_URL } from '../support/real-services.js';
import { startRedisServer, type RedisTestServer } from '../support/redis-server.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import * as samples from '../support/sample-images.js';
import { scratchPostgres, type ScratchDatabase } from '../support/scratch-databases.js';
import { startService, type ServiceProcess } from '../support/service-process.js';

const ROUNDS = 3;
const OPERATIONS = 60;
const CONCURRENCY = 6;
const pool = await Promise.all([
  ...[0, 1, 2, 3, 4, 5].map((i) => samples.jpeg(640 + i * 7, 480)),
  samples.png(300, 200, { alpha: true }),
  samples.webp(500, 300),
  samples.gif(200, 150),
]);
const postgresReachable = await serviceReachable('PostgreSQL', TEST_POSTGRES_URL);
const cleanups: (() => Promise<unknown>)[] = [];
/**
 * fetch() keeps idle connections 4 s; a server that closes them sooner races a reused connection
 * (an HTTP/1.1 limit, not a server fault). Behind a client or balancer, keep-alive must outlast it.
 */
const KEEP_ALIVE = { HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '30' };
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Rounds of mixed load; every status below 500; memory printed per round and not growing without bound. */
async function soak(name: string, baseUrl: string, pids: readonly number[], options: { tolerateCutDownloads?: boolean } = {}) {
  const alive: { id: string; token: string }[] = [];
  const rss: number[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const { statuses } = await mixedLoad(baseUrl, pool, OPERATIONS, CONCURRENCY, alive, options);
    expect(Object.keys(statuses).filter((status) => Number(status) >= 500), `round ${round}: ${JSON.stringify(statuses)}`).toEqual([]);
    rss.push(pids.map(rssMiB));
    console.info(`[soak ${name}] round ${round}: statuses ${JSON.stringify(statuses)}, RSS MiB ${rss.at(-1)!.join(' / ')}`);
  }
  const failed = await settle(baseUrl, alive.map((image) => image.id));
  expect(failed.filter((image) => typeof image.error !== 'string')).toEqual([]);
  for (const [i] of pids.entries()) expect(rss.at(-1)![i]!).toBeLessThanOrEqual(Math.max(rss[0]![i]! * 1.5, rss[0]![i]! + 150));
}

describe('soak: mixed load on loopback', () => {
  it('embedded stack: no 5xx, every upload ends ready or failed with a reason', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-soak-'));
    const service = await startService({ DATA_DIR: dataDir, ...KEEP_ALIVE }, ['node', 'dist/src/main.js', 'serve']);
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }), () => service.stop());
    await soak('embedded', service.baseUrl, [service.child.pid!]);
  });

  describe.skipIf(!postgresReachable)('PostgreSQL + S3 + BullMQ', () => {
    let database: ScratchDatabase;
    let s3: S3TestServer;
    let redis: RedisTestServer;
    let api: ServiceProcess;
    let worker: ServiceProcess;

    it('no 5xx under load, every upload ends ready or failed with a reason', async () => {
      database = await scratchPostgres();
      s3 = await startS3Server();
      redis = await startRedisServer();
      cleanups.push(() => database.drop(), () => s3.close(), () => redis.close());
      const env = {
        DATABASE_URL: database.url,
        STORAGE: 'minio',
        S3_ENDPOINT: s3.url,
        S3_ACCESS_KEY: s3.accessKey,
        S3_SECRET_KEY: s3.secretKey,
        QUEUE: 'bullmq',
        REDIS_URL: redis.url,
        QUEUE_NAME: `soak-${randomBytes(4).toString('hex')}`,
        THUMBNAIL_BACKOFF_MS: '200',
        JOB_LOCK_MS: '2000',
        ...KEEP_ALIVE,
      };
      api = await startService(env, ['node', 'dist/src/main.js', 'serve']);
      worker = await startService(env, ['node', 'dist/src/main.js', 'worker']);
      cleanups.push(() => api.stop(), () => worker.stop());
      await soak('production', api.baseUrl, [api.child.pid!, worker.child.pid!], { tolerateCutDownloads: true });
    });

    it('recovers without manual help when the S3 server, Redis and PostgreSQL connections are restarted', async () => {
      const alive: { id: string; token: string }[] = [];
      await mixedLoad(api.baseUrl, pool, 20, CONCURRENCY, alive, { tolerateCutDownloads: true });

      await s3.restart();
      await redis.restart();
      // A PostgreSQL restart, as the service sees it: every connection to its database cut.
      const admin = await openDatabase({ url: TEST_POSTGRES_URL });
      await admin.orm.em
        .getConnection()
        .execute('select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [new URL(database.url).pathname.slice(1)]);
      await admin.close();

      // Requests made during the outage may fail; the service must come back on its own.
      await mixedLoad(api.baseUrl, pool, 20, CONCURRENCY, alive).catch(() => undefined);
      await waitReady(api.baseUrl);
      await waitReady(worker.baseUrl);
      const after = await mixedLoad(api.baseUrl, pool, 30, CONCURRENCY, alive, { tolerateCutDownloads: true });
      expect(Object.keys(after.statuses).filter((status) => Number(status) >= 500), JSON.stringify(after.statuses)).toEqual([]);
      const failed = await settle(api.baseUrl, alive.map((image) => image.id));
      expect(failed.filter((image) => typeof image.error !== 'string')).toEqual([]);
    });
  });
});
