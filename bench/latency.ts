import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { CorpusImage } from './corpus.js';
import { isolatedDataDir } from './file-creation.js';
import { uploadLoad, type UploadSample } from './load.js';
import { memoryNow, startSampler, type RoundMemory } from './memory.js';
import { readyTimes } from './ready-times.js';
import { dropQueue } from './redis-queue.js';
import { assertReachable, jobCounts, processCpuSeconds, startService, type ServiceProcess } from './service.js';
import { distribution, now, sleep, waitUntil, type Distribution } from './stats.js';

/**
 * Measures 3, 4 and 5: two real `node dist/src/main.js serve` processes under the same closed-loop
 * upload load, in alternating rounds. ON is the default deployment (in-process queue: this process
 * makes the thumbnails while it takes uploads). OFF is QUEUE=bullmq with no worker anywhere, on a
 * queue name of its own: its uploads are only enqueued in Redis and no thumbnail is ever made.
 */
export interface ServerFigures {
  readonly label: string;
  /** Status and start of the answer of the first few uploads that did not answer 201. */
  readonly failures: readonly string[];
  readonly latencyMs: Distribution;
  readonly uploadsPerSecond: number;
  readonly errors: number;
  readonly idleRssMiB: number;
  readonly rounds: readonly RoundMemory[];
}

export interface LatencyResult {
  readonly clients: number;
  readonly uploadsPerRound: number;
  readonly on: ServerFigures & {
    /** From the upload's answer to the row turning ready, ms. */
    readonly readyMs: Distribution;
    /** Thumbnail jobs finished per second, from a round's start to its last ready image. */
    readonly thumbnailsPerSecond: number;
    readonly notReady: number;
  };
  readonly off: ServerFigures;
}

export interface LatencyOptions {
  readonly rounds: number;
  /** Each round alternates this many times between the servers. */
  readonly slices: number;
  readonly uploadsPerRound: number;
  readonly clients: number;
  readonly sizes: readonly number[];
  /** performance.now() by which the section should be done: later slices of a round are left out when time runs short. */
  readonly deadline: number;
  readonly log: (line: string) => void;
}

const REDIS_URL = 'redis://127.0.0.1:6379';
export const REDIS_START = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';
const SLICE_SECONDS = 60;
const DRAIN_SECONDS = 240;
/** Idle time after a round before its "after" memory reading. */
const SETTLE_MS = 2000;

export async function measureLatency(corpus: readonly CorpusImage[], options: LatencyOptions): Promise<LatencyResult> {
  const { rounds, slices, uploadsPerRound, clients, log } = options;
  await assertReachable('Redis (for the thumbnails-off server)', REDIS_URL, REDIS_START);
  const onDir = (await isolatedDataDir('on-')).dir;
  const offDir = (await isolatedDataDir('off-')).dir;
  const queueName = `imagehost-bench-off-${randomBytes(6).toString('hex')}`;
  const sizes = options.sizes.join(',');
  const servers: ServiceProcess[] = [];
  try {
    const on = await startService('api, thumbnails on', 'serve', { DATA_DIR: onDir, THUMBNAIL_SIZES: sizes });
    servers.push(on);
    const off = await startService('api, thumbnails off', 'serve', { DATA_DIR: offDir, THUMBNAIL_SIZES: sizes, QUEUE: 'bullmq', REDIS_URL, QUEUE_NAME: queueName });
    servers.push(off);
    const drained = async (server: ServiceProcess): Promise<boolean> => {
      const c = await jobCounts(server.baseUrl);
      return c.waiting + c.active + c.delayed === 0;
    };
    // Warm-up (untimed): one upload per client, and its thumbnails.
    for (const server of [on, off]) await uploadLoad(server.baseUrl, corpus, clients, clients, 60);
    await waitUntil(() => drained(on), DRAIN_SECONDS * 1000, 100);
    const idle = { on: (await memoryNow(on.pid)).rssMiB, off: (await memoryNow(off.pid)).rssMiB };

    const samples = { on: [] as UploadSample[], off: [] as UploadSample[] };
    const seconds = { on: 0, off: 0 };
    const memory = { on: [] as RoundMemory[], off: [] as RoundMemory[] };
    const sliceStarts: { at: number; ids: string[] }[] = [];
    const perSlice = Math.ceil(uploadsPerRound / slices);
    let longestSlice = 0;
    for (let round = 0; round < rounds; round++) {
      const samplers = { on: startSampler(on.pid), off: startSampler(off.pid) };
      const busy = { on: { cpu: 0, wall: 0 }, off: { cpu: 0, wall: 0 } };
      const roundSamples = { on: [] as UploadSample[], off: [] as UploadSample[] };
      for (let slice = 0; slice < slices; slice++) {
        // Every round keeps at least one slice (memory needs its rounds); later ones only while time allows.
        const remainingRounds = rounds - round - 1;
        if (slice > 0 && now() + longestSlice * (1 + remainingRounds) > options.deadline) {
          log(`  (time is short: round ${round + 1} keeps ${slice} of ${slices} slices)`);
          break;
        }
        const sliceStarted = now();
        // Alternate which server goes first, so that a change in the machine's background load hits both alike.
        for (const side of (round * slices + slice) % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          const server = side === 'on' ? on : off;
          const cpu = await processCpuSeconds(server.pid);
          const wall = Date.now();
          const load = await uploadLoad(server.baseUrl, corpus, perSlice, clients, SLICE_SECONDS);
          // The next slice starts only once this server's thumbnails are done: its background work must not
          // spill onto the other server's measurement.
          if (side === 'on' && !(await waitUntil(() => drained(on), DRAIN_SECONDS * 1000, 100))) {
            log(`  warning: thumbnails not drained ${DRAIN_SECONDS} s after a slice of round ${round + 1}`);
          }
          busy[side].cpu += (await processCpuSeconds(server.pid)) - cpu;
          busy[side].wall += (Date.now() - wall) / 1000;
          roundSamples[side].push(...load.samples);
          seconds[side] += load.seconds;
          if (side === 'on') sliceStarts.push({ at: wall, ids: load.samples.flatMap((s) => (s.id ? [s.id] : [])) });
        }
        longestSlice = Math.max(longestSlice, now() - sliceStarted);
      }
      const usage = { on: await samplers.on.stop(), off: await samplers.off.stop() };
      await sleep(SETTLE_MS);
      for (const side of ['on', 'off'] as const) {
        const server = side === 'on' ? on : off;
        const after = await memoryNow(server.pid);
        const coresUsed = busy[side].cpu / busy[side].wall;
        memory[side].push({ sampledPeakMiB: usage[side].sampledPeakMiB, peakSinceStartMiB: after.peakMiB, afterMiB: after.rssMiB, coresUsed });
        samples[side].push(...roundSamples[side]);
        const d = distribution(roundSamples[side].map((s) => s.latencyMs));
        log(
          `  round ${round + 1}/${rounds} ${side.padEnd(3)}: ${roundSamples[side].length} uploads, p50 ${d.p50.toFixed(1)} ms p95 ${d.p95.toFixed(1)} ms, ` +
            `errors ${roundSamples[side].filter((s) => s.status !== 201).length}, RSS peak ${usage[side].sampledPeakMiB.toFixed(0)} MiB → ` +
            `after ${after.rssMiB.toFixed(0)} MiB, cores used ${coresUsed.toFixed(2)}`,
        );
      }
    }
    await Promise.all(servers.map((s) => s.stop()));
    // Ready times come from the rows themselves, read after the run: polling during the load would add load.
    const ready = await readyTimes(onDir, samples.on, sizes);
    let thumbnailSeconds = 0;
    for (const { at, ids } of sliceStarts) {
      const last = Math.max(...ids.map((id) => ready.readyAt.get(id) ?? Number.NaN).filter(Number.isFinite));
      if (Number.isFinite(last)) thumbnailSeconds += (last - at) / 1000;
    }
    const figures = (side: 'on' | 'off', label: string): ServerFigures => ({
      label,
      latencyMs: distribution(samples[side].filter((s) => s.status === 201).map((s) => s.latencyMs)),
      uploadsPerSecond: samples[side].length / seconds[side],
      errors: samples[side].filter((s) => s.status !== 201).length,
      failures: samples[side].flatMap((s) => (s.status === 201 ? [] : [`${s.status}: ${s.error ?? ''}`])).slice(0, 3),
      idleRssMiB: idle[side],
      rounds: memory[side],
    });
    return {
      clients,
      uploadsPerRound,
      on: {
        ...figures('on', 'in-process queue, thumbnails made in the API process'),
        readyMs: distribution(ready.readyMs),
        thumbnailsPerSecond: ready.readyMs.length / thumbnailSeconds,
        notReady: ready.notReady,
      },
      off: figures('off', 'QUEUE=bullmq with no worker: uploads only enqueue'),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await dropQueue(REDIS_URL, queueName).catch(() => undefined);
    await rm(onDir, { recursive: true, force: true });
    await rm(offDir, { recursive: true, force: true });
  }
}
