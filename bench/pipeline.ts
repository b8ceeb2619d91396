import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GenerateThumbnails } from '../src/application/generate-thumbnails.js';
import { UploadImage } from '../src/application/upload-image.js';
import { createPinoLogger } from '../src/adapters/pino/pino-logger.js';
import { loadConfig } from '../src/config.js';
import { createImagehost } from '../src/imagehost.js';
import { ImageRepository } from '../src/ports/image-repository.js';
import type { CorpusImage } from './corpus.js';
import { rawSharpRender } from './raw-sharp.js';
import { distribution, now, pool, type Distribution } from './stats.js';
import { uniqueBytes } from './unique-bytes.js';

/** Measure 1: renditions/s through GenerateThumbnails (fs + libsql + sharp) against raw sharp on the same bytes. */
export interface PipelineResult {
  readonly concurrency: number;
  /** Untimed rounds over the whole corpus, both sides, before the timed ones. */
  readonly warmUpRounds: number;
  readonly rounds: number;
  readonly imagehost: Throughput & { readonly failed: number; readonly jobMs: Distribution };
  readonly rawSharp: Throughput;
  readonly ratio: number;
}

interface Throughput {
  readonly images: number;
  readonly renditions: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU time of this process (all threads) per image: far less sensitive to other load than wall time. */
  readonly cpuMsPerImage: number;
}

export interface PipelineOptions {
  readonly warmUpRounds: number;
  readonly rounds: number;
  readonly sizes: readonly number[];
  readonly log: (line: string) => void;
}

/** Tuning settings taken from the caller's environment, as the service would take them. */
export function tunables(): Record<string, string | undefined> {
  const { WORKER_CONCURRENCY, VIPS_CONCURRENCY, THUMBNAIL_FORMAT, THUMBNAIL_QUALITY } = process.env;
  return { WORKER_CONCURRENCY, VIPS_CONCURRENCY, THUMBNAIL_FORMAT, THUMBNAIL_QUALITY };
}

export async function measurePipeline(corpus: readonly CorpusImage[], { warmUpRounds, rounds, sizes, log }: PipelineOptions): Promise<PipelineResult> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-bench-pipeline-'));
  const config = loadConfig({ ...tunables(), DATA_DIR: dataDir, THUMBNAIL_SIZES: sizes.join(','), LOG_LEVEL: 'silent' });
  // The composition root itself, with the scheduler never started: jobs are run here, by hand, and timed.
  const host = await createImagehost(config, createPinoLogger('silent'));
  try {
    const uploadImage = host.container.get(UploadImage);
    const generate = host.container.get(GenerateThumbnails);
    const repository = host.container.get<ImageRepository>(ImageRepository);
    // As many jobs at once as a worker process runs (WORKER_CONCURRENCY, else one more than the cores).
    const concurrency = config.workerConcurrency;
    const raw = { sizes, format: config.THUMBNAIL_FORMAT, quality: config.THUMBNAIL_QUALITY };

    /** Uploads the corpus (untimed), each image with bytes of its own so nothing is deduplicated. */
    const prepare = (images: readonly CorpusImage[]) =>
      pool(images, 4, async (image) => {
        const data = uniqueBytes(image.data);
        const { image: stored } = await uploadImage.execute({ bytes: data, filename: image.name });
        return { id: stored.id, data };
      });
    const runImagehost = async (items: { id: string }[]) => {
      const jobMs: number[] = [];
      const cpu = process.cpuUsage();
      const started = now();
      await pool(items, concurrency, async ({ id }) => {
        const t = now();
        await generate.execute(id, { jobId: `bench:${id}`, attempt: 1, maxAttempts: 1, retryDelayMs: null }).catch(() => undefined);
        jobMs.push(now() - t);
      });
      const seconds = (now() - started) / 1000;
      const cpuMs = cpuMsSince(cpu);
      const stored = await Promise.all(items.map(({ id }) => repository.findById(id)));
      const ready = stored.filter((image) => image?.thumbnail.status === 'ready');
      const renditions = ready.reduce((n, image) => n + (image?.thumbnail.renditions.length ?? 0), 0);
      return { seconds, cpuMs, renditions, images: ready.length, failed: items.length - ready.length, jobMs };
    };
    const runRaw = async (items: { data: Uint8Array }[]) => {
      const cpu = process.cpuUsage();
      const started = now();
      const counts = await pool(items, concurrency, ({ data }) => rawSharpRender(data, raw));
      return { seconds: (now() - started) / 1000, cpuMs: cpuMsSince(cpu), renditions: counts.reduce((a, b) => a + b, 0), images: counts.length };
    };

    // Warm-up (untimed), to measure a worker that has been running a while rather than one just
    // started: JIT tiers, libvips caches, the database file, and the store's shard folders
    // (renditions/<2 hex>/, 256 of them, each new one an extra mkdir and directory fsync). Over the
    // first dozen rounds after start imagehost's side still gains on raw sharp's by 0.02 – 0.04.
    for (let round = 0; round < warmUpRounds; round++) {
      const items = await prepare(corpus);
      await runImagehost(items);
      await runRaw(items);
    }
    if (warmUpRounds > 0) log(`  pipeline: ${warmUpRounds} untimed warm-up round(s) done`);

    const totals = { ih: { seconds: 0, cpuMs: 0, renditions: 0, images: 0, failed: 0 }, raw: { seconds: 0, cpuMs: 0, renditions: 0, images: 0 } };
    const jobMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const items = await prepare(corpus);
      // Alternate which side goes first, so a drift in machine speed hits both alike.
      const order = round % 2 === 0 ? (['raw', 'ih'] as const) : (['ih', 'raw'] as const);
      for (const side of order) {
        if (side === 'raw') {
          const r = await runRaw(items);
          totals.raw.seconds += r.seconds;
          totals.raw.cpuMs += r.cpuMs;
          totals.raw.renditions += r.renditions;
          totals.raw.images += r.images;
        } else {
          const r = await runImagehost(items);
          totals.ih.seconds += r.seconds;
          totals.ih.cpuMs += r.cpuMs;
          totals.ih.renditions += r.renditions;
          totals.ih.images += r.images;
          totals.ih.failed += r.failed;
          jobMs.push(...r.jobMs);
        }
      }
      log(`  pipeline round ${round + 1}/${rounds}: imagehost ${rate(totals.ih)} renditions/s, raw sharp ${rate(totals.raw)} (running totals)`);
    }
    const figures = (t: { seconds: number; cpuMs: number; renditions: number; images: number }) => ({
      images: t.images,
      renditions: t.renditions,
      seconds: t.seconds,
      perSecond: t.renditions / t.seconds,
      cpuMsPerImage: t.cpuMs / t.images,
    });
    const imagehost = { ...figures(totals.ih), failed: totals.ih.failed, jobMs: distribution(jobMs) };
    const rawSharp = figures(totals.raw);
    return { concurrency, warmUpRounds, rounds, imagehost, rawSharp, ratio: imagehost.perSecond / rawSharp.perSecond };
  } finally {
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function rate(t: { renditions: number; seconds: number }): string {
  return (t.renditions / t.seconds).toFixed(1);
}
