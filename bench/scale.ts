import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import type { CorpusImage } from './corpus.js';
import { isolatedDataDir } from './file-creation.js';
import { uploadLoad } from './load.js';
import { setupText, type ScaleSetup } from './scale-setup.js';
import { coresBusyBetween, machineTicks } from './machine.js';
import { parallelCeiling, pinnedCeiling, type RawOptions } from './raw-sharp.js';
import { collectOwnGarbage } from './own-garbage.js';
import { openQueue, watchFinished, type BenchQueue } from './redis-queue.js';
import { BENCH_POSTGRES_URL, scratchPostgres } from './scratch-postgres.js';
import { REDIS_START } from './latency.js';
import { assertReachable, processCpuSeconds, request, startService, type ServiceProcess } from './service.js';
import { now, pool } from './stats.js';

/**
 * Measure 6: thumbnail throughput of BullMQ worker processes, 2 against 1. The API and every worker
 * are separate `node dist/src/main.js` processes sharing a scratch PostgreSQL database, a DATA_DIR
 * (STORAGE=fs) and a queue name of their own in the local Redis. Each run: workers start, connect
 * and warm up on a pass over the corpus each (untimed), the queue is paused while a batch is uploaded,
 * the bench collects its own garbage, and the clock runs from resume to the last job's "job finished"
 * log line (see watchFinished: with both cores busy, whatever the bench or Redis spends on watching is
 * taken from the workers being measured).
 *
 * Scaling out means a second worker on a machine of its own. On one machine the bench stands in for
 * that by giving each worker a core of its own (`taskset`): worker 1 on core 0, worker 2 on core 1,
 * each at its own default for one core. The same pair with both workers on both cores is measured
 * too, for contrast: there one worker at its default already keeps the machine busy.
 */

export interface ScaleRun {
  readonly setup: ScaleSetup;
  readonly workers: number;
  /** Jobs at once per worker, as the workers' start-up configuration gives it. */
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
  readonly setup: ScaleSetup;
  readonly concurrency: number;
  readonly one: number;
  readonly two: number;
  readonly ratio: number;
  readonly coresOne: number;
  readonly coresTwo: number;
  readonly machineOne: number;
  readonly machineTwo: number;
}

/** Raw sharp two at a time ÷ one at a time, measured before and after the runs: what the machine allowed. */
export interface Ceiling {
  readonly before: number;
  readonly after: number;
  readonly ratio: number;
}

export interface ScaleResult {
  readonly jobsPerRun: number;
  /** In one process on every core, the yardstick of the workers sharing the cores. */
  readonly ceiling: Ceiling;
  /** In two processes with a core each ÷ one, the yardstick of the workers with a core each. */
  readonly ownCoreCeiling: Ceiling;
  readonly runs: ScaleRun[];
  readonly pairs: ScalePair[];
}

const REDIS_URL = 'redis://127.0.0.1:6379';
const RUN_SECONDS = 180;

export async function measureScale(
  corpus: readonly CorpusImage[],
  options: {
    jobsPerRun: number;
    setups: readonly ScaleSetup[];
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
  const ceilings = async () => ({
    shared: (await parallelCeiling(corpus.map((c) => c.data), rawOptions, 2)).ratio,
    ownCore: (await pinnedCeiling(corpus.map((c) => c.file), rawOptions, 2)).ratio,
  });
  const logCeilings = (when: string, { shared, ownCore }: { shared: number; ownCore: number }) =>
    options.log(`  ceilings ${when}: raw sharp 2 at a time ÷ 1 at a time = ${shared.toFixed(2)} in one process, ${ownCore.toFixed(2)} in processes with a core each`);
  const before = await ceilings();
  logCeilings('before', before);
  const database = await scratchPostgres();
  const dataDir = (await isolatedDataDir('scale-')).dir;
  const queueName = `imagehost-bench-scale-${randomBytes(6).toString('hex')}`;
  const queue = openQueue(REDIS_URL, queueName);
  const env = { DATA_DIR: dataDir, DATABASE_URL: database.url, STORAGE: 'fs', QUEUE: 'bullmq', REDIS_URL, QUEUE_NAME: queueName, THUMBNAIL_SIZES: options.sizes.join(',') };
  let api: ServiceProcess | undefined;
  try {
    api = await startService('api, bullmq', 'serve', env);
    const runs: ScaleRun[] = [];
    let longest = 0;
    // Runs go in pairs (1 and 2 workers, then 2 and 1): every setup's first pair before any repeat.
    // The very first pair always runs; a later one only if it fits before the deadline.
    for (let i = 0; i < options.order.length; i += 2) {
      for (const setup of options.setups) {
        if (runs.length > 0 && now() + 2 * longest > options.deadline) {
          options.log(`  (time is short: the pair of runs "${setupText(setup)}" is left out)`);
          continue;
        }
        for (const workers of options.order.slice(i, i + 2)) {
          const started = now();
          const workerEnv = { ...env, MIGRATE_ON_START: 'false', ...(setup.concurrency !== undefined ? { WORKER_CONCURRENCY: String(setup.concurrency) } : {}) };
          const run = await oneRun(api, queue, corpus, workerEnv, setup, workers, options.jobsPerRun);
          longest = Math.max(longest, now() - started);
          runs.push(run);
          options.log(
            `  ${workers} worker(s), ${setupText(setup, run.concurrency)}: ${run.ready}/${run.jobs} jobs in ${run.seconds.toFixed(2)} s, ` +
              `${run.perSecond.toFixed(1)} renditions/s, cores used ${run.coresUsed.toFixed(2)} (machine busy ${run.machineBusy.toFixed(2)})`,
          );
        }
      }
    }
    const pairs = options.setups.flatMap((setup): ScalePair[] => {
      const rate = (workers: number) => {
        const matching = runs.filter((r) => r.setup === setup && r.workers === workers);
        const seconds = matching.reduce((a, r) => a + r.seconds, 0);
        const cpu = matching.reduce((a, r) => a + r.coresUsed * r.seconds, 0);
        const machine = matching.reduce((a, r) => a + r.machineBusy * r.seconds, 0);
        const perSecond = matching.reduce((a, r) => a + r.renditions, 0) / seconds;
        return { perSecond, cores: cpu / seconds, machine: machine / seconds, concurrency: matching[0]?.concurrency };
      };
      const one = rate(1);
      const two = rate(2);
      if (one.concurrency === undefined || two.concurrency === undefined) return [];
      return [{
        setup,
        concurrency: one.concurrency,
        one: one.perSecond,
        two: two.perSecond,
        ratio: two.perSecond / one.perSecond,
        coresOne: one.cores,
        coresTwo: two.cores,
        machineOne: one.machine,
        machineTwo: two.machine,
      }];
    });
    const after = now() + 20_000 < options.deadline ? await ceilings() : before;
    logCeilings('after', after);
    const ceiling = (key: 'shared' | 'ownCore') => ({ before: before[key], after: after[key], ratio: (before[key] + after[key]) / 2 });
    return { jobsPerRun: options.jobsPerRun, ceiling: ceiling('shared'), ownCoreCeiling: ceiling('ownCore'), runs, pairs };
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
  setup: ScaleSetup,
  count: number,
  jobs: number,
): Promise<ScaleRun> {
  await queue.pause();
  const workers: ServiceProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      workers.push(await startService(`worker ${i + 1}`, 'worker', env, { cpu: setup.placement === 'own core' ? i % os.cpus().length : undefined }));
    }
    const concurrency = workers[0]?.workerConcurrency;
    if (concurrency === undefined) throw new Error('the worker did not log its configuration (workerConcurrency)');
    // Untimed warm-up, a pass over the corpus per worker: a fresh process's first jobs pay for JIT
    // compilation, libvips start-up and new connections, and its jobs get cheaper for a few hundred more
    // as JIT tiers settle (measure 1's warm-up rounds). The run with two fresh workers, each making half
    // the batch, would pay for it twice over; a worker in service has long been past it.
    const warmUp = await uploadLoad(api.baseUrl, corpus, corpus.length * count, 8, 120);
    const warmedUp = watchFinished(queue, workers, warmUp.samples.filter((s) => s.id).length, RUN_SECONDS * 1000);
    await queue.resume();
    if ((await warmedUp.done) === null) throw new Error('the warm-up jobs did not finish');
    await queue.pause();
    const load = await uploadLoad(api.baseUrl, corpus, jobs, 8, 120);
    const ids = load.samples.flatMap((s) => (s.id ? [s.id] : []));
    await collectOwnGarbage();
    const finished = watchFinished(queue, workers, ids.length, RUN_SECONDS * 1000);
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
    return { setup, workers: count, concurrency, jobs: ids.length, ready: ready.length, renditions, seconds, perSecond: renditions / seconds, coresUsed, machineBusy };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}
