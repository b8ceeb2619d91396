import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CorpusImage } from './corpus.js';
import { uploadLoad } from './load.js';
import { coresBusyBetween, machineTicks } from './machine.js';
import { parallelCeiling, type RawOptions } from './raw-sharp.js';
import { openQueue, type BenchQueue } from './redis-queue.js';
import { BENCH_POSTGRES_URL, scratchPostgres } from './scratch-postgres.js';
import { REDIS_START } from './latency.js';
import { assertReachable, processCpuSeconds, request, startService, type ServiceProcess } from './service.js';
import { now, pool } from './stats.js';

/**
 * Measure 6: thumbnail throughput of BullMQ worker processes, 2 against 1. The API and every worker
 * are separate `node dist/src/main.js` processes sharing a scratch PostgreSQL database, a DATA_DIR
 * (STORAGE=fs) and a queue name of their own in the local Redis. Each run: workers start and connect
 * and warm up on a few untimed jobs, the queue is paused while a batch is uploaded, and the clock
 * runs from resume to the last job's completion event (event-driven: polling the queue's counts every few
 * ms cost the bench and Redis ~0.05 of a core, taken from the workers being measured).
 */
export interface ScaleRun {
  readonly workers: number;
  readonly concurrency: number;
  readonly jobs: number;
  readonly ready: number;
  readonly renditions: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU seconds of all workers ÷ wall seconds. */
  readonly coresUsed: number;
  /** Cores the whole machine kept busy meanwhile: the workers, PostgreSQL, Redis, the API, the bench, the kernel. */
  readonly machineBusy: number;
}

export interface ScalePair {
  readonly concurrency: number;
  readonly one: number;
  readonly two: number;
  readonly ratio: number;
  readonly coresOne: number;
  readonly coresTwo: number;
  readonly machineOne: number;
  readonly machineTwo: number;
}

export interface ScaleResult {
  readonly jobsPerRun: number;
  /** Raw sharp two at a time ÷ one at a time, measured before and after the runs: what the machine allowed. */
  readonly ceiling: { readonly before: number; readonly after: number; readonly ratio: number };
  readonly runs: ScaleRun[];
  readonly pairs: ScalePair[];
}

const REDIS_URL = 'redis://127.0.0.1:6379';
const RUN_SECONDS = 180;
const WARM_UP_JOBS_PER_WORKER = 4;

export async function measureScale(
  corpus: readonly CorpusImage[],
  options: {
    jobsPerRun: number;
    concurrencies: readonly number[];
    order: readonly number[];
    sizes: readonly number[];
    raw: Omit<RawOptions, 'sizes'>;
    /** performance.now() by which the section should be done: later pairs of runs are left out when time runs short. */
    deadline: number;
    log: (line: string) => void;
  },
): Promise<ScaleResult> {
  await assertReachable('Redis', REDIS_URL, REDIS_START);
  await assertReachable('PostgreSQL', BENCH_POSTGRES_URL, 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start');
  const rawOptions = { ...options.raw, sizes: options.sizes };
  const ceiling = () => parallelCeiling(corpus.map((c) => c.data), rawOptions, 2).then((c) => c.ratio);
  const before = await ceiling();
  options.log(`  ceiling before: raw sharp 2 at a time ÷ 1 at a time = ${before.toFixed(2)}`);
  const database = await scratchPostgres();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-bench-scale-'));
  const queueName = `imagehost-bench-scale-${randomBytes(6).toString('hex')}`;
  const queue = openQueue(REDIS_URL, queueName);
  const env = { DATA_DIR: dataDir, DATABASE_URL: database.url, STORAGE: 'fs', QUEUE: 'bullmq', REDIS_URL, QUEUE_NAME: queueName, THUMBNAIL_SIZES: options.sizes.join(',') };
  let api: ServiceProcess | undefined;
  try {
    api = await startService('api, bullmq', 'serve', env);
    const runs: ScaleRun[] = [];
    let longest = 0;
    // Runs go in pairs (1 and 2 workers, then 2 and 1): every concurrency's first pair before any repeat.
    // The very first pair always runs; a later one only if it fits before the deadline.
    for (let i = 0; i < options.order.length; i += 2) {
      for (const concurrency of options.concurrencies) {
        if (runs.length > 0 && now() + 2 * longest > options.deadline) {
          options.log(`  (time is short: the pair of runs at WORKER_CONCURRENCY=${concurrency} is left out)`);
          continue;
        }
        for (const workers of options.order.slice(i, i + 2)) {
          const started = now();
          const run = await oneRun(api, queue, corpus, { ...env, MIGRATE_ON_START: 'false', WORKER_CONCURRENCY: String(concurrency) }, workers, options.jobsPerRun);
          longest = Math.max(longest, now() - started);
          runs.push({ ...run, concurrency });
          options.log(
            `  ${workers} worker(s) × WORKER_CONCURRENCY=${concurrency}: ${run.ready}/${run.jobs} jobs in ${run.seconds.toFixed(2)} s, ` +
              `${run.perSecond.toFixed(1)} renditions/s, cores used ${run.coresUsed.toFixed(2)} (machine busy ${run.machineBusy.toFixed(2)})`,
          );
        }
      }
    }
    const measured = options.concurrencies.filter((c) => [1, 2].every((w) => runs.some((r) => r.concurrency === c && r.workers === w)));
    const pairs = measured.map((concurrency) => {
      const rate = (workers: number) => {
        const matching = runs.filter((r) => r.concurrency === concurrency && r.workers === workers);
        const seconds = matching.reduce((a, r) => a + r.seconds, 0);
        const cpu = matching.reduce((a, r) => a + r.coresUsed * r.seconds, 0);
        const machine = matching.reduce((a, r) => a + r.machineBusy * r.seconds, 0);
        return { perSecond: matching.reduce((a, r) => a + r.renditions, 0) / seconds, cores: cpu / seconds, machine: machine / seconds };
      };
      const one = rate(1);
      const two = rate(2);
      return {
        concurrency,
        one: one.perSecond,
        two: two.perSecond,
        ratio: two.perSecond / one.perSecond,
        coresOne: one.cores,
        coresTwo: two.cores,
        machineOne: one.machine,
        machineTwo: two.machine,
      };
    });
    const after = now() + 10_000 < options.deadline ? await ceiling() : before;
    options.log(`  ceiling after: ${after.toFixed(2)}`);
    return { jobsPerRun: options.jobsPerRun, ceiling: { before, after, ratio: (before + after) / 2 }, runs, pairs };
  } finally {
    await api?.stop();
    await queue.drop().catch(() => undefined);
    await database.drop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function oneRun(
  api: ServiceProcess,
  queue: BenchQueue,
  corpus: readonly CorpusImage[],
  env: Record<string, string>,
  count: number,
  jobs: number,
): Promise<Omit<ScaleRun, 'concurrency'>> {
  await queue.pause();
  const workers: ServiceProcess[] = [];
  try {
    for (let i = 0; i < count; i++) workers.push(await startService(`worker ${i + 1}`, 'worker', env));
    // Untimed warm-up: a fresh process's first jobs pay for JIT compilation, libvips start-up and new
    // connections, a one-off cost that would weigh twice as much on the run with two fresh workers.
    const warmUp = await uploadLoad(api.baseUrl, corpus.slice(0, WARM_UP_JOBS_PER_WORKER * count), WARM_UP_JOBS_PER_WORKER * count, 8, 60);
    const warmedUp = await queue.watchFinished(warmUp.samples.filter((s) => s.id).length, RUN_SECONDS * 1000);
    await queue.resume();
    if ((await warmedUp.done) === null) throw new Error('the warm-up jobs did not finish');
    await queue.pause();
    const load = await uploadLoad(api.baseUrl, corpus, jobs, 8, 120);
    const ids = load.samples.flatMap((s) => (s.id ? [s.id] : []));
    const finished = await queue.watchFinished(ids.length, RUN_SECONDS * 1000);
    const cpuBefore = await Promise.all(workers.map((w) => processCpuSeconds(w.pid)));
    const machineBefore = await machineTicks();
    const started = now();
    await queue.resume();
    const ended = await finished.done;
    if (ended === null) throw new Error(`${count} worker(s) had not finished ${ids.length} jobs after ${RUN_SECONDS} s`);
    const seconds = (ended - started) / 1000;
    const machineBusy = coresBusyBetween(machineBefore, await machineTicks());
    const cpuAfter = await Promise.all(workers.map((w) => processCpuSeconds(w.pid)));
    const coresUsed = cpuAfter.reduce((a, c, i) => a + c - (cpuBefore[i] ?? 0), 0) / seconds;
    const states = await pool(ids, 8, async (id) => {
      const body = JSON.parse((await request(`${api.baseUrl}/api/v1/images/${id}`)).body) as { thumbnail_status?: string; renditions?: unknown[] };
      return body.thumbnail_status === 'ready' ? (body.renditions?.length ?? 0) : -1;
    });
    const ready = states.filter((n) => n >= 0);
    const renditions = ready.reduce((a, b) => a + b, 0);
    return { workers: count, jobs: ids.length, ready: ready.length, renditions, seconds, perSecond: renditions / seconds, coresUsed, machineBusy };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}
