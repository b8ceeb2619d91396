import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { loadCorpus } from './corpus.js';
import { measureLatency } from './latency.js';
import { measurePipeline, tunables } from './pipeline.js';
import { tableText, writeReports } from './report.js';
import { measureResizer } from './resizer.js';
import type { Results } from './rows.js';
import { measureScale } from './scale.js';
import { killAllChildren } from './service.js';
import { now } from './stats.js';

/**
 * imagehost's benchmark: `npx tsx bench/run.ts [--quick] [--only=pipeline,resizer,latency,scale] [--name=latest] [--no-build]`.
 * Prints a table of figures, each with a yardstick measured in the same run, and writes
 * bench/results/<name>.json, .md and .svg. Tuning knobs come from the environment, as for the service
 * (UV_THREADPOOL_SIZE, WORKER_CONCURRENCY, THUMBNAIL_FORMAT, MALLOC_ARENA_MAX …); child processes inherit them.
 */
const exec = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..');
const SECTIONS = ['pipeline', 'resizer', 'latency', 'scale'] as const;
type Section = (typeof SECTIONS)[number];
const SIZES = [150, 300, 600];

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, name: { type: 'string', default: 'latest' }, 'no-build': { type: 'boolean', default: false } },
});
const quick = args.quick;
const only = new Set((args.only?.split(',') ?? SECTIONS).filter((s): s is Section => (SECTIONS as readonly string[]).includes(s)));
/** Sections are skipped once this much time has gone, so the run stays within its budget (10 min, 2 min quick). */
const BUDGET_SECONDS = quick ? 105 : 540;
const plan = quick
  ? { pipelineRounds: 2, resizerRounds: 1, latencyRounds: 3, uploadsPerRound: 36, scaleJobs: 24, scaleOrder: [1, 2] }
  : { pipelineRounds: 6, resizerRounds: 2, latencyRounds: 3, uploadsPerRound: 168, scaleJobs: 84, scaleOrder: [1, 2, 2, 1] };

const log = (line: string) => console.log(line);
const started = now();
const elapsed = () => (now() - started) / 1000;
process.once('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const corpus = await loadCorpus(quick, log);
  const config = loadConfig({ ...tunables(), THUMBNAIL_SIZES: SIZES.join(',') });
  const environment = await describeEnvironment(config.WORKER_CONCURRENCY);
  log(`imagehost bench (${quick ? 'quick' : 'full'}): ${corpus.length} images, ${Object.entries(environment).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if ((only.has('latency') || only.has('scale')) && !args['no-build']) notes.push(...(await build()));

  const results: Results = { errors: {} };
  const sectionSeconds: Record<string, number> = {};
  const section = async (name: Section, work: () => Promise<void>): Promise<void> => {
    if (!only.has(name)) return;
    if (elapsed() > BUDGET_SECONDS) {
      results.errors[name] = `skipped: the run's ${BUDGET_SECONDS} s budget was spent`;
      return;
    }
    log(`\n[${name}] (${elapsed().toFixed(0)} s in)`);
    const t = now();
    try {
      await work();
    } catch (error) {
      results.errors[name] = error instanceof Error ? error.message : String(error);
      log(`  ${name} failed: ${results.errors[name]}`);
    }
    sectionSeconds[name] = (now() - t) / 1000;
  };
  const format = config.THUMBNAIL_FORMAT;
  const quality = config.THUMBNAIL_QUALITY;
  await section('resizer', async () => {
    results.resizer = await measureResizer(corpus, { rounds: plan.resizerRounds, sizes: SIZES, single: 300, format, quality });
  });
  await section('pipeline', async () => {
    results.pipeline = await measurePipeline(corpus, { rounds: plan.pipelineRounds, sizes: SIZES, log });
  });
  await section('latency', async () => {
    results.latency = await measureLatency(corpus, { rounds: plan.latencyRounds, uploadsPerRound: plan.uploadsPerRound, clients: 8, sizes: SIZES, log });
  });
  await section('scale', async () => {
    const concurrencies = [...new Set([1, config.WORKER_CONCURRENCY])];
    results.scale = await measureScale(corpus, { jobsPerRun: plan.scaleJobs, concurrencies, order: plan.scaleOrder, sizes: SIZES, log });
  });

  const info = {
    startedAt,
    mode: quick ? ('quick' as const) : ('full' as const),
    seconds: elapsed(),
    sectionSeconds,
    environment,
    corpus: {
      images: corpus.length,
      photographs: corpus.filter((c) => c.kind === 'photo').length,
      bytes: corpus.reduce((a, c) => a + c.bytes, 0),
      names: corpus.map((c) => c.name),
    },
    notes,
  };
  const rows = await writeReports(path.join(import.meta.dirname, 'results'), args.name, results, info);
  log(`\n${tableText(rows)}\n`);
  for (const [name, error] of Object.entries(results.errors)) log(`${name}: ${error}`);
  for (const note of notes) log(`note: ${note}`);
  log(`took ${elapsed().toFixed(0)} s; wrote bench/results/${args.name}.{json,md,svg}`);
}

/** `npm run build`, as the service is started from dist/. Type errors still emit JavaScript: note them and go on. */
async function build(): Promise<string[]> {
  const t = now();
  const result = await exec('npm', ['run', '--silent', 'build'], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 }).then(
    () => null,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
  );
  log(`build: npm run build ${result === null ? 'ok' : 'reported errors'} (${((now() - t) / 1000).toFixed(0)} s)`);
  if (result === null) return [];
  await access(path.join(ROOT, 'dist', 'src', 'main.js')).catch(() => {
    throw new Error(`npm run build failed and dist/src/main.js is missing:\n${result}`);
  });
  const errors = result.split('\n').filter((l) => l.includes('error TS'));
  log(`  ${errors.length} type error(s), JavaScript emitted anyway; first: ${errors[0] ?? result.slice(0, 200)}`);
  return [`npm run build reported ${errors.length} type error(s) (src was being edited); the service ran from the JavaScript tsc emitted anyway`];
}

async function describeEnvironment(workerConcurrency: number): Promise<Record<string, string | number>> {
  const git = async (...a: string[]) => (await exec('git', a, { cwd: ROOT }).catch(() => ({ stdout: '?' }))).stdout.trim();
  const dirty = (await git('status', '--porcelain')).split('\n').filter(Boolean).length;
  return {
    commit: `${await git('rev-parse', '--short', 'HEAD')}${dirty ? ` (+${dirty} changed files)` : ''}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? '?'}`,
    node: process.version,
    vips: `${sharp.versions.vips} (sharp ${sharp.versions.sharp ?? '?'}, sharp.concurrency ${sharp.concurrency()})`,
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    WORKER_CONCURRENCY: workerConcurrency,
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? 'unset',
  };
}

await main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  killAllChildren();
  process.exitCode = 1;
});
// Keep-alive sockets and Redis handles must not hold the process open once the report is written.
process.exit(process.exitCode ?? 0);
