import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryMiB, mixedLoad, settle, waitReady, type LiveImage } from '../support/mixed-load.js';
import { postgresInstallable, startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { startRedisServer, type RedisTestServer } from '../support/redis-server.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import * as samples from '../support/sample-images.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { productionStackEnv } from '../support/stack-env.js';

const ROUNDS = 3;
const OPERATIONS = 60;
const CONCURRENCY = 6;
/**
 * How much a process's memory may grow from round 1 to round 3, resident and peak, in MiB. Round 1
 * already warms up everything (code, sharp, connection pools); after it, rounds measured here differ
 * by up to ~15 MiB either way (the allocator's noise). A leak that kept what one round decodes
 * (~30 uploads × 640×480×3 bytes ≈ 27 MiB of pixels) would pass 48 MiB by round 3.
 */
const GROWTH_BOUND_MIB = 48;
/** How long each dependency stays down while the load runs. */
const DOWN_MS = 3000;
const pool = await Promise.all([
  ...[0, 1, 2, 3, 4, 5].map((i) => samples.jpeg(640 + i * 7, 480)),
  samples.png(300, 200, { alpha: true }),
  samples.webp(500, 300),
  samples.gif(200, 150),
]);
/**
 * fetch() keeps idle connections 4 s; a server that closes them sooner races a reused connection
 * (an HTTP/1.1 limit, not a server fault). Behind a client or balancer, keep-alive must outlast it.
 */
const KEEP_ALIVE = { HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '30' };

/** Rounds of mixed load, each settled; no 5xx; memory (resident / peak) printed per round and not growing. */
async function soak(name: string, baseUrl: string, pids: readonly number[], options: { tolerateCutDownloads?: boolean } = {}) {
  const alive: LiveImage[] = [];
  const memory: { rss: number; peak: number }[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const { statuses, serverErrors } = await mixedLoad(baseUrl, pool, OPERATIONS, CONCURRENCY, alive, options);
    expect(serverErrors, `round ${round}: ${JSON.stringify(statuses)}`).toEqual([]);
    const failed = await settle(baseUrl, alive);
    expect(failed.filter((image) => typeof image.error !== 'string')).toEqual([]);
    memory.push(pids.map(memoryMiB));
    const figures = memory.at(-1)!.map(({ rss, peak }) => `${rss} / peak ${peak}`).join(' · ');
    console.info(`[soak ${name}] round ${round}: statuses ${JSON.stringify(statuses)}, MiB ${figures}`);
  }
  for (const [i] of pids.entries()) {
    const [first, last] = [memory[0]![i]!, memory.at(-1)![i]!];
    expect(last.rss, `process ${i} resident MiB by round`).toBeLessThanOrEqual(first.rss + GROWTH_BOUND_MIB);
    expect(last.peak, `process ${i} peak MiB by round`).toBeLessThanOrEqual(first.peak + GROWTH_BOUND_MIB);
  }
}

function memoryFigures(service: ServiceProcess): string {
  const { rss, peak } = memoryMiB(service.child.pid!);
  return `${rss} / peak ${peak}`;
}

describe('soak: mixed load on loopback', () => {
  it('embedded stack: no 5xx, every upload ends ready or failed with a reason', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-soak-'));
    try {
      const service = await startService({ DATA_DIR: dataDir, ...KEEP_ALIVE }, ['node', 'dist/src/main.js', 'serve']);
      try {
        await soak('embedded', service.baseUrl, [service.child.pid!]);
      } finally {
        await service.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  /**
   * One stack for the tests below, started here: a scratch PostgreSQL cluster of its own (so that it
   * can really be stopped), Redis and s3rver of their own, an API process and a worker.
   */
  describe.skipIf(!postgresInstallable())('PostgreSQL + S3 + BullMQ', () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    let postgres: PostgresCluster;
    let s3: S3TestServer;
    let redis: RedisTestServer;
    let api: ServiceProcess;
    let worker: ServiceProcess;

    beforeAll(async () => {
      const started = Date.now();
      postgres = await startPostgresCluster();
      cleanups.push(() => postgres.destroy());
      s3 = await startS3Server();
      cleanups.push(() => s3.close());
      redis = await startRedisServer();
      cleanups.push(() => redis.close());
      const env = {
        ...productionStackEnv({ databaseUrl: postgres.url, s3, redisUrl: redis.url, queue: 'soak' }),
        THUMBNAIL_BACKOFF_MS: '200',
        JOB_LOCK_MS: '2000',
        // Work an outage left behind (an upload whose enqueue failed, a job whose outcome could not
        // be written) is found by the reconciler: checked every second, taken for lost after 5 s.
        RECONCILE_INTERVAL_SECONDS: '1',
        RECONCILE_STALE_SECONDS: '5',
        ...KEEP_ALIVE,
      };
      api = await startService(env, ['node', 'dist/src/main.js', 'serve']);
      cleanups.push(() => api.stop());
      worker = await startService(env, ['node', 'dist/src/main.js', 'worker']);
      cleanups.push(() => worker.stop());
      console.info(`[soak] stack up in ${Date.now() - started} ms (initdb ${postgres.initdbMs} ms)`);
    }, 120_000);

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('[soak] cleanup failed', error));
    });

    it('no 5xx under load, every upload ends ready or failed with a reason', async () => {
      await soak('production', api.baseUrl, [api.child.pid!, worker.child.pid!], { tolerateCutDownloads: true });
    });

    const outages = [
      { dependency: 'PostgreSQL', down: () => postgres.stop('fast'), up: () => postgres.start() },
      { dependency: 'Redis', down: () => redis.kill(), up: () => redis.start() },
      { dependency: 'the S3 server', down: () => s3.stop(), up: () => s3.start() },
    ];

    it.each(outages)('recovers without manual help when $dependency is stopped and started under load', async ({ dependency, down, up }) => {
      await Promise.all([waitReady(api.baseUrl), waitReady(worker.baseUrl)]);
      const logFrom = { api: api.lines.length, worker: worker.lines.length };
      const alive: LiveImage[] = [];
      const window = { down: Infinity, up: Infinity };
      // Requests in flight at some moment of the outage: started before it ended, answered after it began.
      let metOutage = 0;
      const stopLoad = new AbortController();
      const load = mixedLoad(api.baseUrl, pool, Infinity, CONCURRENCY, alive, {
        tolerateCutDownloads: true,
        signal: stopLoad.signal,
        observe: (_status, startedAt) => {
          if (startedAt < window.up && Date.now() > window.down) metOutage++;
        },
      }).then(
        (report) => ({ report }),
        (error: unknown) => ({ error }),
      );
      let isDown = false;
      let readyAfterMs = NaN;
      try {
        await sleep(500);
        await down();
        isDown = true;
        window.down = Date.now();
        await sleep(DOWN_MS);
        window.up = Date.now();
        await up();
        isDown = false;
        await Promise.all([waitReady(api.baseUrl, 20_000), waitReady(worker.baseUrl, 20_000)]);
        readyAfterMs = Date.now() - window.up;
        await sleep(500); // the load goes on against the recovered service for a moment
      } finally {
        stopLoad.abort();
        if (isDown) await up();
      }
      const outcome = await load;
      if ('error' in outcome) throw outcome.error;
      const { statuses, serverErrors, slowest } = outcome.report;
      const unhandled = [...api.lines.slice(logFrom.api), ...worker.lines.slice(logFrom.worker)].filter((line) => line.includes('unhandled error'));
      const report = `${dependency} down ${window.up - window.down} ms; ${metOutage} requests met it; statuses ${JSON.stringify(statuses)}; both processes ready ${readyAfterMs} ms after the restart; slowest ${slowest.request} ${slowest.ms} ms; MiB api ${memoryFigures(api)}, worker ${memoryFigures(worker)}`;
      console.info(`[soak outage] ${report}`);
      expect(metOutage, report).toBeGreaterThan(0);
      // During the outage a request may be refused, but only as 503 with an error code a client can act on.
      expect(
        serverErrors.filter((error) => error.status !== 503 || typeof error.code !== 'string'),
        `${report}\n${unhandled.slice(0, 5).join('\n')}`,
      ).toEqual([]);

      // Back without manual help: new uploads are taken, and every upload that was answered 201
      // (during the outage too) ends ready, or failed with a reason, within a bounded time.
      const after = await mixedLoad(api.baseUrl, pool, 20, CONCURRENCY, alive, { tolerateCutDownloads: true });
      expect(after.serverErrors, JSON.stringify(after.statuses)).toEqual([]);
      expect(after.statuses[201], JSON.stringify(after.statuses)).toBeGreaterThan(0);
      const settling = Date.now();
      const failed = await settle(api.baseUrl, alive, 30_000);
      console.info(`[soak outage] ${dependency}: ${alive.length} images settled in ${Date.now() - settling} ms, ${failed.length} failed ${JSON.stringify(failed.map((image) => image.error))}`);
      expect(failed.filter((image) => typeof image.error !== 'string')).toEqual([]);
      expect([api.child.exitCode, worker.child.exitCode]).toEqual([null, null]);
    });
  });
});
