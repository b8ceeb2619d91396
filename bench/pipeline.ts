import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Container } from 'inversify';
import { GenerateThumbnails } from '../src/application/generate-thumbnails.js';
import { UploadImage } from '../src/application/upload-image.js';
import { createPinoLogger } from '../src/adapters/pino/pino-logger.js';
import { loadConfig } from '../src/config.js';
import { createImagehost, useCaseBindings } from '../src/imagehost.js';
import { InMemoryStorageService } from '../src/adapters/memory/in-memory-storage-service.js';
import { embedsSrgbProfile } from '../src/adapters/sharp/sharp-image-resizer.js';
import { storageModule } from '../src/wiring/adapter-modules.js';
import { ImageRepository } from '../src/ports/image-repository.js';
import type { CorpusImage } from './corpus.js';
import { machineTicks } from './machine.js';
import { fileCreationMicros, isolatedDataDir, settleFileCreation, type FileCreation } from './file-creation.js';
import { rawSharpRender } from './raw-sharp.js';
import { distribution, now, pool, type Distribution } from './stats.js';
import { uniqueBytes } from './unique-bytes.js';

/**
 * Measure 1: renditions/s through GenerateThumbnails (fs + libsql + sharp) against raw sharp on the same
 * bytes; and the same use case with only the store swapped for one in memory, to show what the durable
 * disk costs of the gap.
 */
export interface PipelineResult {
  /** Jobs imagehost's side runs at once (WORKER_CONCURRENCY), of which `renders` may render at once. */
  readonly jobs: number;
  /** Renders at once (RENDER_CONCURRENCY): imagehost's, and raw sharp's, which has nothing else to wait for. */
  readonly renders: number;
  /** Untimed rounds over the whole corpus, every side, before the timed ones. */
  readonly warmUpRounds: number;
  readonly rounds: number;
  readonly imagehost: ImagehostThroughput & { readonly jobMs: Distribution };
  /** The same, with InMemoryStorageService in place of the fs store (libsql and sharp as above). */
  readonly storeInMemory: ImagehostThroughput;
  readonly rawSharp: Throughput;
  readonly ratio: number;
  readonly ratioStoreInMemory: number;
  /** imagehost ÷ raw sharp in each timed round alone: how far one ~1-s stretch of the machine moves the ratio. */
  readonly roundRatios: readonly number[];
  /** What creating a file in the data folder cost the kernel, before and after the timed rounds. */
  readonly fileCreation: FileCreation;
  /**
   * The share of the machine's CPU time its host (a hypervisor) gave to others within each side's timed
   * windows (/proc/stat's steal): uneven shares move the ratio with nothing of either side's doing.
   */
  readonly stolen: Readonly<Record<Side, number>>;
}

interface Throughput {
  readonly images: number;
  readonly renditions: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU time of this process (all threads) per image: far less sensitive to other load than wall time. */
  readonly cpuMsPerImage: number;
}

type ImagehostThroughput = Throughput & { readonly failed: number };

export interface PipelineOptions {
  readonly warmUpRounds: number;
  readonly rounds: number;
  readonly sizes: readonly number[];
  /** How long to wait, at most, for file creation in the data folder to settle (see file-creation.ts). */
  readonly settleSeconds: number;
  readonly log: (line: string) => void;
}

/** Tuning settings taken from the caller's environment, as the service would take them. */
export function tunables(): Record<string, string | undefined> {
  const { WORKER_CONCURRENCY, RENDER_CONCURRENCY, VIPS_CONCURRENCY, THUMBNAIL_FORMAT, THUMBNAIL_QUALITY } = process.env;
  return { WORKER_CONCURRENCY, RENDER_CONCURRENCY, VIPS_CONCURRENCY, THUMBNAIL_FORMAT, THUMBNAIL_QUALITY };
}

export type Side = 'raw' | 'imagehost' | 'storeInMemory';
/** Forward in even rounds, backward in odd ones: every side's mean place in the order is the same. */
const SIDES: readonly Side[] = ['raw', 'imagehost', 'storeInMemory'];

/** A timed stretch: wall time, this process's CPU, and the machine's clock ticks, all and stolen by its host. */
interface Timing {
  seconds: number;
  cpuMs: number;
  machineTicks: number;
  stolenTicks: number;
}

interface Totals extends Timing {
  renditions: number;
  images: number;
  failed: number;
}

export async function measurePipeline(corpus: readonly CorpusImage[], { warmUpRounds, rounds, sizes, settleSeconds, log }: PipelineOptions): Promise<PipelineResult> {
  const { dir: dataDir, topDir } = await isolatedDataDir('pipeline-');
  const config = loadConfig({ ...tunables(), DATA_DIR: dataDir, THUMBNAIL_SIZES: sizes.join(','), LOG_LEVEL: 'silent' });
  // The composition root itself, with the scheduler never started: jobs are run here, by hand, and timed.
  const host = await createImagehost(config, createPinoLogger('silent'));
  try {
    // As a worker process runs them: `jobs` at once (WORKER_CONCURRENCY), of which `renders` render at
    // once (RENDER_CONCURRENCY; the resizer the host wires holds the others back). Raw sharp renders as
    // many at once: the same concurrency of resizing and encoding, with no storage or database to wait for.
    const { workerConcurrency: jobs, renderConcurrency: renders } = config;
    const raw = { sizes, format: config.THUMBNAIL_FORMAT, quality: config.THUMBNAIL_QUALITY };
    const jobMs: number[] = [];
    const freshBytes = () => corpus.map((image) => uniqueBytes(image.data));
    // Raw sharp skips the conversion from an sRGB profile wherever imagehost's resizer skips it: decided here, untimed.
    const ignoreIcc = await Promise.all(corpus.map((image) => embedsSrgbProfile(image.data)));

    /** Uploads `data` (untimed), then times its jobs. */
    const runJobs = async (container: Container, data: readonly Uint8Array[], timeJobs: boolean): Promise<Totals> => {
      const uploadImage = container.get(UploadImage);
      const generate = container.get(GenerateThumbnails);
      const repository = container.get<ImageRepository>(ImageRepository);
      const items = await pool(data, 4, async (bytes, i) => (await uploadImage.execute({ bytes, filename: corpus[i]!.name })).image.id);
      const [, timing] = await timed(() =>
        pool(items, jobs, async (id) => {
          const t = now();
          await generate.execute(id, { jobId: `bench:${id}`, attempt: 1, maxAttempts: 1, retryDelayMs: null }).catch(() => undefined);
          if (timeJobs) jobMs.push(now() - t);
        }),
      );
      const stored = await Promise.all(items.map((id) => repository.findById(id)));
      const ready = stored.filter((image) => image?.thumbnail.status === 'ready');
      const renditions = ready.reduce((n, image) => n + (image?.thumbnail.renditions.length ?? 0), 0);
      return { ...timing, renditions, images: ready.length, failed: items.length - ready.length };
    };
    const runRaw = async (items: readonly Uint8Array[]): Promise<Totals> => {
      const [counts, timing] = await timed(() => pool(items, renders, (data, i) => rawSharpRender(data, raw, ignoreIcc[i])));
      return { ...timing, renditions: counts.reduce((a, b) => a + b, 0), images: counts.length, failed: 0 };
    };
    /** The host's own adapters and use cases but a store of its own in memory, fresh each round so it never grows. */
    const withStoreInMemory = () => {
      const container = new Container({ parent: host.container });
      container.load(storageModule(new InMemoryStorageService()), useCaseBindings(config));
      return container;
    };
    /**
     * Raw sharp and imagehost get the same bytes; the in-memory side bytes of its own, since it shares the
     * database and would otherwise adopt imagehost's renditions instead of rendering (see uniqueBytes).
     */
    const run = (side: Side, data: readonly Uint8Array[], timed: boolean): Promise<Totals> => {
      if (side === 'raw') return runRaw(data);
      if (side === 'imagehost') return runJobs(host.container, data, timed);
      return runJobs(withStoreInMemory(), freshBytes(), false);
    };

    // Not the aftermath of deletes made just before (an earlier run's clean-up): see file-creation.ts.
    const probes = path.join(dataDir, 'file-creation');
    const settled = await settleFileCreation(probes, settleSeconds, log);

    // Warm-up (untimed), to measure a worker that has been running a while rather than one just
    // started: JIT tiers, libvips caches, the database file, and the store's shard folders
    // (renditions/<2 hex>/, 256 of them, each new one an extra mkdir and directory fsync). Over the
    // first dozen rounds after start imagehost's side still gains on raw sharp's by 0.02 – 0.04.
    for (let round = 0; round < warmUpRounds; round++) {
      const data = freshBytes();
      for (const side of SIDES) await run(side, data, false);
    }
    if (warmUpRounds > 0) log(`  pipeline: ${warmUpRounds} untimed warm-up round(s) done`);

    const roundRatios: number[] = [];
    const zero: Totals = { seconds: 0, cpuMs: 0, machineTicks: 0, stolenTicks: 0, renditions: 0, images: 0, failed: 0 };
    const totals = Object.fromEntries(SIDES.map((side) => [side, { ...zero }])) as Record<Side, Totals>;
    for (let round = 0; round < rounds; round++) {
      const data = freshBytes();
      // Alternate the order, so a drift in machine speed hits every side alike.
      const inRound = {} as Record<Side, Totals>;
      for (const side of round % 2 === 0 ? SIDES : [...SIDES].reverse()) {
        const r = (inRound[side] = await run(side, data, true));
        for (const key of Object.keys(r) as (keyof Totals)[]) totals[side][key] += r[key];
      }
      roundRatios.push(rate(inRound.imagehost) / rate(inRound.raw));
      const rates = SIDES.map((side) => `${side} ${rate(totals[side]).toFixed(1)}`).join(', ');
      log(`  pipeline round ${round + 1}/${rounds}, renditions/s (running totals): ${rates}`);
    }
    const fileCreation = { topDir, ...settled, endMicros: fileCreationMicros(path.join(probes, 'end')) };
    const figures = (t: Totals) => ({
      images: t.images,
      renditions: t.renditions,
      seconds: t.seconds,
      perSecond: t.renditions / t.seconds,
      cpuMsPerImage: t.cpuMs / t.images,
      failed: t.failed,
    });
    const imagehost = { ...figures(totals.imagehost), jobMs: distribution(jobMs) };
    const storeInMemory = figures(totals.storeInMemory);
    const rawSharp: Throughput = figures(totals.raw);
    return {
      jobs,
      renders,
      warmUpRounds,
      rounds,
      imagehost,
      storeInMemory,
      rawSharp,
      ratio: imagehost.perSecond / rawSharp.perSecond,
      ratioStoreInMemory: storeInMemory.perSecond / rawSharp.perSecond,
      roundRatios,
      fileCreation,
      stolen: Object.fromEntries(SIDES.map((side) => [side, totals[side].stolenTicks / totals[side].machineTicks])) as Record<Side, number>,
    };
  } finally {
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs and times `work` (see Timing). */
async function timed<T>(work: () => Promise<T>): Promise<[T, Timing]> {
  const ticks = await machineTicks();
  const cpu = process.cpuUsage();
  const started = now();
  const result = await work();
  const seconds = (now() - started) / 1000;
  const cpuMs = cpuMsSince(cpu);
  const after = await machineTicks();
  return [result, { seconds, cpuMs, machineTicks: after.total - ticks.total, stolenTicks: after.steal - ticks.steal }];
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function rate(t: { renditions: number; seconds: number }): number {
  return t.renditions / t.seconds;
}
