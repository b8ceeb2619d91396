import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CorpusImage } from './corpus.js';
import { uploadLoad, type UploadSample } from './load.js';
import { memoryNow, startSampler, type RoundMemory } from './memory.js';
import { readyTimes } from './ready-times.js';
import { dropQueue } from './redis-queue.js';
import { jobCounts, startService, type ServiceProcess } from './service.js';
import { distribution, sleep, waitUntil, type Distribution } from './stats.js';

/**
 * Measures 3, 4 and 5: two real `node dist/src/main.js serve` processes under the same closed-loop
 * upload load, in alternating rounds. ON is the default deployment (in-process queue: this process
 * makes the thumbnails while it takes uploads). OFF is QUEUE=bullmq with no worker anywhere, on a
 * queue name of its own: its uploads are only enqueued in Redis and no thumbnail is ever made.
 */
export interface ServerFigures {
  readonly label: string;
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
  readonly uploadsPerRound: number;
  readonly clients: number;
  readonly sizes: readonly number[];
  readonly log: (line: string) => void;
}

const REDIS_URL = 'redis://127.0.0.1:6379';
const ROUND_SECONDS = 120;
const DRAIN_SECONDS = 240;
/** Idle time after a round before its "after" memory reading. */
const SETTLE_MS = 2000;

export async function measureLatency(corpus: readonly CorpusImage[], options: LatencyOptions): Promise<LatencyResult> {
  const { rounds, uploadsPerRound, clients, log } = options;
  const onDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-bench-on-'));
  const offDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-bench-off-'));
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
    let thumbnailSeconds = 0;
    const roundStarts: { at: number; ids: string[] }[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const side of order) {
        const server = side === 'on' ? on : off;
        const sampler = await startSampler(server.pid);
        const startedAt = Date.now();
        const load = await uploadLoad(server.baseUrl, corpus, uploadsPerRound, clients, ROUND_SECONDS);
        if (side === 'on' && !(await waitUntil(() => drained(on), DRAIN_SECONDS * 1000, 100))) {
          log(`  warning: thumbnails not drained ${DRAIN_SECONDS} s after round ${round + 1}`);
        }
        const usage = await sampler.stop();
        await sleep(SETTLE_MS);
        const after = await memoryNow(server.pid);
        samples[side].push(...load.samples);
        seconds[side] += load.seconds;
        memory[side].push({ ...usage, peakSinceStartMiB: after.peakMiB, afterMiB: after.rssMiB });
        if (side === 'on') roundStarts.push({ at: startedAt, ids: load.samples.flatMap((s) => (s.id ? [s.id] : [])) });
        const d = distribution(load.samples.map((s) => s.latencyMs));
        log(
          `  round ${round + 1}/${rounds} ${side.padEnd(3)}: ${load.samples.length} uploads in ${load.seconds.toFixed(1)} s, ` +
            `p50 ${d.p50.toFixed(1)} ms p95 ${d.p95.toFixed(1)} ms, errors ${load.errors}, ` +
            `RSS peak ${usage.sampledPeakMiB.toFixed(0)} MiB → after ${after.rssMiB.toFixed(0)} MiB, cores used ${usage.coresUsed.toFixed(2)}`,
        );
      }
    }
    await Promise.all(servers.map((s) => s.stop()));
    // Ready times come from the rows themselves, read after the run: polling during the load would add load.
    const ready = await readyTimes(onDir, samples.on, sizes);
    for (const { at, ids } of roundStarts) {
      const last = Math.max(...ids.map((id) => ready.readyAt.get(id) ?? Number.NaN).filter(Number.isFinite));
      if (Number.isFinite(last)) thumbnailSeconds += (last - at) / 1000;
    }
    const figures = (side: 'on' | 'off', label: string): ServerFigures => ({
      label,
      latencyMs: distribution(samples[side].filter((s) => s.status === 201).map((s) => s.latencyMs)),
      uploadsPerSecond: samples[side].length / seconds[side],
      errors: samples[side].filter((s) => s.status !== 201).length,
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
