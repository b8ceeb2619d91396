import { execFile, spawnSync } from 'node:child_process';
import { access, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { loadConfig, type Config } from '../src/config.js';
import { loadCorpus } from './corpus.js';
import { coresBusyElsewhere } from './machine.js';
import { measurePipeline, tunables } from './pipeline.js';
import { tableText, writeReports } from './report.js';
import { measureResizer } from './resizer.js';
import type { Results } from './rows.js';
import { setupText, type ScaleSetup } from './scale-setup.js';
import { killAllChildren, SERVICE_MALLOC_ENV, SERVICE_NODE_FLAGS } from './service.js';
import { now } from './stats.js';

/**
 * imagehost's benchmark: `npx tsx bench/run.ts [--quick] [--only=pipeline,resizer,latency,scale] [--name=NAME] [--no-build]`.
 * Prints a table of figures, each with a yardstick measured in the same run, and writes
 * bench/results/<name>.json, .md and .svg (name: latest, or quick for --quick). Tuning knobs come from
 * the environment, as for the service (UV_THREADPOOL_SIZE, WORKER_CONCURRENCY, THUMBNAIL_FORMAT,
 * MALLOC_ARENA_MAX …); child processes inherit them.
 */
// The pipeline and resizer sections run in this process: under the node flags and malloc settings a worker runs with.
if (!SERVICE_NODE_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  const rerun = spawnSync(process.execPath, [...process.execArgv, ...SERVICE_NODE_FLAGS, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...SERVICE_MALLOC_ENV, ...process.env },
  });
  process.exit(rerun.status ?? 1);
}

const exec = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..');
const SECTIONS = ['pipeline', 'resizer', 'latency', 'scale'] as const;
type Section = (typeof SECTIONS)[number];
const SIZES = [150, 300, 600];

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, name: { type: 'string' }, 'no-build': { type: 'boolean', default: false } },
});
const quick = args.quick;
/** A quick run never overwrites the full run's latest.* (which the README shows). */
const name = args.name ?? (quick ? 'quick' : 'latest');
const only = new Set((args.only?.split(',') ?? SECTIONS).filter((s): s is Section => (SECTIONS as readonly string[]).includes(s)));
/**
 * The run must stay within 10 minutes (2 with --quick) even when other work shares the machine: a
 * section is skipped once START_BY seconds have gone, and the last one trims its repeat runs to end by DONE_BY.
 */
const START_BY = quick ? 75 : 480;
const DONE_BY = quick ? 100 : 560;
/** The latency section keeps fewer slices per round to end by then, leaving the scale section its time. */
const LATENCY_DONE_BY = quick ? 55 : 360;
/**
 * Measure 6's setups, the target's first: a core for each worker at its default, then both workers on
 * both cores at one job each (the pair the target was first measured on) and at their default.
 */
const SCALE_SETUPS: readonly ScaleSetup[] = [{ placement: 'own core' }, { placement: 'shared', concurrency: 1 }, { placement: 'shared' }];
const plan = quick
  ? { pipelineWarmUpRounds: 1, pipelineRounds: 2, settleSeconds: 20, resizerRounds: 1, latencyRounds: 3, latencySlices: 2, uploadsPerRound: 36, scaleJobs: 24, scaleOrder: [1, 2], scaleSetups: SCALE_SETUPS.slice(0, 2) }
  : { pipelineWarmUpRounds: 12, pipelineRounds: 12, settleSeconds: 180, resizerRounds: 4, latencyRounds: 3, latencySlices: 4, uploadsPerRound: 200, scaleJobs: 140, scaleOrder: [1, 2, 2, 1, 1, 2, 2, 1], scaleSetups: SCALE_SETUPS };

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
  const busyBefore = await coresBusyElsewhere();
  const environment = await describeEnvironment(config);
  log(`imagehost bench (${quick ? 'quick' : 'full'}): ${corpus.length} images, ${Object.entries(environment).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if ((only.has('latency') || only.has('scale')) && !args['no-build']) notes.push(...(await build()));

  const results: Results = { errors: {} };
  const sectionSeconds: Record<string, number> = {};
  const section = async (name: Section, work: () => Promise<void>): Promise<void> => {
    if (!only.has(name)) return;
    if (elapsed() > START_BY) {
      results.errors[name] = `skipped: ${START_BY} s of the run's time budget had gone`;
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
    results.resizer = await measureResizer(corpus, { rounds: plan.resizerRounds, sizes: SIZES, single: 300, format, quality, threadsPerImage: config.VIPS_CONCURRENCY });
  });
  await section('pipeline', async () => {
    results.pipeline = await measurePipeline(corpus, { warmUpRounds: plan.pipelineWarmUpRounds, rounds: plan.pipelineRounds, sizes: SIZES, settleSeconds: plan.settleSeconds, log });
  });
  // The service sections' modules (BullMQ's and Redis' clients among them) are loaded only now: the
  // pipeline section above runs in this process as a worker would, with no queue client in its heap.
  await section('latency', async () => {
    const { measureLatency } = await import('./latency.js');
    results.latency = await measureLatency(corpus, {
      rounds: plan.latencyRounds,
      slices: plan.latencySlices,
      uploadsPerRound: plan.uploadsPerRound,
      clients: 8,
      sizes: SIZES,
      // Shifted by the time measure 1 waited for the disk to settle, so that wait never trims this section.
      deadline: started + (LATENCY_DONE_BY + (results.pipeline?.fileCreation.waitedSeconds ?? 0)) * 1000,
      log,
    });
  });
  await section('scale', async () => {
    const { measureScale } = await import('./scale.js');
    results.scale = await measureScale(corpus, { jobsPerRun: plan.scaleJobs, setups: plan.scaleSetups, order: plan.scaleOrder, sizes: SIZES, raw: { format, quality }, deadline: started + DONE_BY * 1000, log });
  });

  const busyAfter = await coresBusyElsewhere();
  environment['cores busy with other work (before, after)'] = `${busyBefore.toFixed(2)}, ${busyAfter.toFixed(2)} of ${os.cpus().length}`;
  if (Math.max(busyBefore, busyAfter) > 0.3) {
    notes.push(
      `other processes kept ${busyBefore.toFixed(2)} (before) and ${busyAfter.toFixed(2)} (after) of ${os.cpus().length} cores busy: ` +
        'the ratios that need spare cores (3: upload latency with thumbnails on, 6: 2 workers ÷ 1) are not trustworthy in this run; rerun on a quiet machine',
    );
  }
  notes.push(...problems(results));
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
  const rows = await writeReports(path.join(import.meta.dirname, 'results'), name, results, info);
  log(`\n${tableText(rows)}\n`);
  for (const [name, error] of Object.entries(results.errors)) log(`${name}: ${error}`);
  for (const note of notes) log(`note: ${note}`);
  log(`took ${elapsed().toFixed(0)} s; wrote bench/results/${name}.{json,md,svg}`);
}

/** Anything that makes a figure less than it claims: failed uploads or jobs. */
function problems({ pipeline, latency, scale }: Results): string[] {
  const found: string[] = [];
  for (const side of ['imagehost', 'storeInMemory'] as const) {
    const failed = pipeline?.[side].failed;
    if (failed) found.push(`pipeline (${side}): ${failed} thumbnail job(s) did not end ready (left out of renditions/s)`);
  }
  for (const side of latency ? [latency.on, latency.off] : []) {
    if (side.errors) {
      found.push(`latency: ${side.errors} upload(s) to "${side.label}" did not answer 201 (left out of the percentiles): ${side.failures.join(' | ')}`);
    }
  }
  if (latency?.on.notReady) found.push(`latency: ${latency.on.notReady} image(s) were not ready when the run ended`);
  for (const run of scale?.runs ?? []) {
    if (run.ready < run.jobs) found.push(`scale: ${run.jobs - run.ready} of ${run.jobs} jobs not ready (${run.workers} worker(s), ${setupText(run.setup, run.concurrency)})`);
  }
  return found;
}

/**
 * `npm run build` unless dist/ is newer than all of src/, as the service is started from dist/. Type
 * errors still emit JavaScript: note them and go on.
 */
async function build(): Promise<string[]> {
  const built = await stat(path.join(ROOT, 'dist', 'src', 'main.js')).then((s) => s.mtimeMs, () => 0);
  const sources = await readdir(path.join(ROOT, 'src'), { recursive: true, withFileTypes: true });
  const newest = Math.max(...(await Promise.all(sources.filter((e) => e.isFile()).map((e) => stat(path.join(e.parentPath, e.name)).then((s) => s.mtimeMs)))));
  if (built > newest) {
    log('build: dist/ is newer than every file in src/, not rebuilt');
    return [];
  }
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

async function describeEnvironment({ workerConcurrency, renderConcurrency, VIPS_CONCURRENCY }: Config): Promise<Record<string, string | number>> {
  const git = async (...a: string[]) => (await exec('git', a, { cwd: ROOT }).catch(() => ({ stdout: '?' }))).stdout.trim();
  const dirty = (await git('status', '--porcelain')).split('\n').filter(Boolean).length;
  return {
    commit: `${await git('rev-parse', '--short', 'HEAD')}${dirty ? ` (+${dirty} changed files)` : ''}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? '?'}`,
    node: process.version,
    vips: `${sharp.versions.vips} (sharp ${sharp.versions.sharp ?? '?'})`,
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    'WORKER_CONCURRENCY (worker)': workerConcurrency,
    'RENDER_CONCURRENCY (worker; raw sharp in measure 1)': renderConcurrency,
    'VIPS_CONCURRENCY (libvips threads per image, this process and the services)': VIPS_CONCURRENCY,
    "libvips' operation cache (this process and the services)": sharp.cache().items.max === 0 ? 'off' : 'on',
    'malloc (service processes and this one, as npm start)': Object.keys(SERVICE_MALLOC_ENV).map((key) => `${key}=${process.env[key] ?? '(unset)'}`).join(' '),
    'node flags (service processes and this one, as npm start)': SERVICE_NODE_FLAGS.join(' '),
  };
}

await main().catch((error: unknown) => {
  const detail = error instanceof Error ? (process.env.BENCH_DEBUG ? error.stack : error.message) : String(error);
  console.error(`bench failed: ${detail}`);
  killAllChildren();
  process.exitCode = 1;
});
// Keep-alive sockets and Redis handles must not hold the process open once the report is written.
process.exit(process.exitCode ?? 0);
