import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceReachable, TEST_REDIS_URL } from '../support/real-services.js';
import * as samples from '../support/sample-images.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `node dist/src/main.js <args>` (what npm scripts and the container run), or with `entry: 'bin'` the
 * package's `imagehost` executable, which answers help and usage errors before loading any driver.
 */
function cli(args: readonly string[], env: Record<string, string> = {}, entry: 'main' | 'bin' = 'main'): Promise<CliRun> {
  const script = entry === 'bin' ? 'dist/src/cli/bin.js' : 'dist/src/main.js';
  const child = spawn('node', [script, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', DEPENDENCY_TIMEOUT_SECONDS: '5', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the command with --json and parses its summary, failing with the whole output when it is not JSON. */
async function cliJson<T>(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; summary: T }> {
  const run = await cli([...args, '--json'], env);
  try {
    return { code: run.code, summary: JSON.parse(run.stdout) as T };
  } catch {
    throw new Error(`not a JSON summary (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

interface ImportSummary {
  files: number;
  imported: number;
  already_imported: number;
  skipped: { file: string; code: string; reason: string }[];
  failed: { file: string; code: string }[];
  thumbnails: { done: number; failed: number; left: number } | 'queued';
}

interface RegenerateSummary {
  queued: number;
  thumbnails: { done: number; failed: number; left: number } | 'queued' | null;
}

const redis = await serviceReachable('Redis', TEST_REDIS_URL);
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'imagehost-cli-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe.concurrent('help and usage errors (no configuration or database needed)', () => {
  it('--help lists every command and exits 0; each command has its own --help', async () => {
    const [top, importHelp, regenerateHelp, viaMain] = await Promise.all([
      cli(['--help'], {}, 'bin'),
      cli(['import', '--help'], {}, 'bin'),
      cli(['help', 'regenerate'], {}, 'bin'),
      cli(['--help'], { THUMBNAIL_SIZES: 'not read for help' }),
    ]);
    expect(top.code).toBe(0);
    for (const command of ['serve', 'worker', 'migrate', 'import <dir>', 'regenerate']) expect(top.stdout).toContain(command);
    expect(viaMain).toEqual(top);
    expect(importHelp).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: imagehost import <dir>') as unknown });
    expect(regenerateHelp).toMatchObject({ code: 0, stdout: expect.stringContaining('--sizes') as unknown });
  });

  it.each([
    [['import', '.', '--bogus'], /Unknown option '--bogus'/],
    [['regenerate', '--nope'], /Unknown option '--nope'/],
    [['import'], /the directory to import is missing/],
    [['regenerate', '--all', '--failed'], /--all already takes every image/],
    [['regenerate', '--sizes', 'big'], /--sizes must be a comma-separated list/],
    [['serve', '--port', '80'], /Unknown option '--port'/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('%j exits 2 with a usage message on stderr', async (args, message) => {
    const run = await cli(args, { DATA_DIR: path.join(scratch, 'never-created') }, 'bin');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('--help');
    expect(run.stdout).toBe('');
  });

  it('exits 2 for a directory that does not exist, and for an invalid setting', async () => {
    const [missing, badConfig] = await Promise.all([
      cli(['import', path.join(scratch, 'no-such-folder')], { DATA_DIR: path.join(scratch, 'unused') }),
      cli(['regenerate'], { THUMBNAIL_SIZES: 'lots' }, 'bin'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/is not a directory/);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/THUMBNAIL_SIZES/);
  });
});

describe('import and regenerate on the embedded defaults (libsql, files, in-process queue)', () => {
  let env: Record<string, string>;
  let photos: string;

  beforeAll(async () => {
    env = { DATA_DIR: path.join(scratch, 'data'), MAX_UPLOAD_BYTES: String(200_000) };
    photos = path.join(scratch, 'photos');
    await mkdir(path.join(photos, 'trip'), { recursive: true });
    await writeFile(path.join(photos, 'beach.jpg'), await samples.jpeg(640, 480));
    await writeFile(path.join(photos, 'trip', 'hill.png'), await samples.png(300, 200));
    await writeFile(path.join(photos, 'notes.txt'), 'not a photo');
    const big = await samples.png(800, 800); // noisy: far above the 200 000-byte limit
    expect(big.byteLength).toBeGreaterThan(200_000);
    await writeFile(path.join(photos, 'huge.png'), big);
    await writeFile(path.join(photos, 'bomb.png'), samples.pixelBomb());
  });

  it('imports the images, skips the rest with reasons, makes the thumbnails and exits 0', async () => {
    const run = await cli(['import', photos], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/imported: +2\n/);
    expect(run.stdout).toMatch(/skipped: +3\n/);
    expect(run.stdout).toMatch(/failed: +0\n/);
    expect(run.stdout).toMatch(/not an image \[UNSUPPORTED_MEDIA_TYPE\]: notes\.txt/);
    expect(run.stdout).toMatch(/file too large \(MAX_UPLOAD_BYTES\) \[FILE_TOO_LARGE\]: huge\.png/);
    expect(run.stdout).toMatch(/too many pixels \(MAX_PIXELS\) \[IMAGE_TOO_LARGE\]: bomb\.png/);
    expect(run.stdout).toMatch(/thumbnails: +2 done, 0 failed/);
    expect(run.stderr).toMatch(/import: files 5\/5/); // plain progress lines when stderr is no terminal
  });

  it('imports nothing twice when run again: the same files count as already imported', { timeout: 120_000 }, async () => {
    const { code, summary } = await cliJson<ImportSummary>(['import', photos], env);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ files: 5, imported: 0, already_imported: 2, failed: [], thumbnails: { done: 0, failed: 0, left: 0 } });
    expect(summary.skipped.map((s) => [s.file, s.code]).sort()).toEqual([
      ['bomb.png', 'IMAGE_TOO_LARGE'],
      ['huge.png', 'FILE_TOO_LARGE'],
      ['notes.txt', 'UNSUPPORTED_MEDIA_TYPE'],
    ]);
    const all = await cliJson<RegenerateSummary>(['regenerate', '--all', '--dry-run'], env);
    expect(all.summary.queued).toBe(2);
  });

  it('regenerate --missing --sizes picks the images lacking a newly configured size, and makes it', { timeout: 120_000 }, async () => {
    const withLarger = { ...env, THUMBNAIL_SIZES: '150,300,600,1200' };
    expect((await cliJson<RegenerateSummary>(['regenerate', '--dry-run'], env)).summary.queued).toBe(0);
    expect((await cliJson<RegenerateSummary>(['regenerate', '--missing', '--sizes', '1200', '--dry-run'], withLarger)).summary.queued).toBe(2);

    const made = await cliJson<RegenerateSummary>(['regenerate', '--missing', '--sizes', '1200'], withLarger);
    expect(made).toEqual({ code: 0, summary: expect.objectContaining({ queued: 2, thumbnails: { done: 2, failed: 0, left: 0 } }) as unknown });
    expect((await cliJson<RegenerateSummary>(['regenerate', '--dry-run'], withLarger)).summary.queued).toBe(0);

    const unknownSize = await cli(['regenerate', '--sizes', '999'], withLarger);
    expect(unknownSize.code).toBe(2);
    expect(unknownSize.stderr).toMatch(/999 is not configured; the configured sizes are 150, 300, 600, 1200/);
  });
});

describe('failures: exit code 1, and regenerate --failed', () => {
  let env: Record<string, string>;
  let broken: string;

  beforeAll(async () => {
    env = { DATA_DIR: path.join(scratch, 'data-broken'), THUMBNAIL_SIZES: '150' };
    broken = path.join(scratch, 'broken');
    await mkdir(broken, { recursive: true });
    const photo = await samples.jpeg(640, 480);
    await writeFile(path.join(broken, 'unreadable.jpg'), photo.slice(0, 100)); // a JPEG whose header is cut
    await writeFile(path.join(broken, 'truncated.jpg'), samples.truncated(photo, 0.5)); // header whole, pixels cut
    await writeFile(path.join(broken, 'fine.jpg'), await samples.jpeg(64, 48));
  });

  it('reports a file that cannot be read as failed and exits 1; a thumbnail failure is reported, not fatal', async () => {
    const { code, summary } = await cliJson<ImportSummary>(['import', broken], env);
    expect(code).toBe(1);
    expect(summary).toMatchObject({ imported: 2, failed: [{ file: 'unreadable.jpg', code: 'INVALID_IMAGE' }], thumbnails: { done: 1, failed: 1 } });
  });

  it('regenerate --failed queues the failed image again (and only it), runs its job and exits 1 when it fails again', { timeout: 120_000 }, async () => {
    expect((await cliJson<RegenerateSummary>(['regenerate', '--missing', '--dry-run'], env)).summary.queued).toBe(0);
    const retried = await cliJson<RegenerateSummary>(['regenerate', '--failed'], env);
    expect(retried).toEqual({ code: 1, summary: expect.objectContaining({ queued: 1, thumbnails: { done: 0, failed: 1, left: 0 } }) as unknown });
    const text = await cli(['regenerate', '--failed'], env);
    expect(text.stdout).toMatch(/queued 1 image\(s\) \(failed\) as background work\nthumbnails: 0 done, 1 failed/);
  });

  it.skipIf(!redis)('with QUEUE=bullmq regenerate only enqueues, as background work, and exits 0', async () => {
    const queueName = `cli-${randomBytes(6).toString('hex')}`;
    const queue = new Queue(queueName, { connection: { url: TEST_REDIS_URL } });
    try {
      const bullmq = { ...env, QUEUE: 'bullmq', REDIS_URL: TEST_REDIS_URL, QUEUE_NAME: queueName };
      const { code, summary } = await cliJson<RegenerateSummary>(['regenerate', '--failed'], bullmq);
      expect(code).toBe(0);
      expect(summary).toMatchObject({ queued: 1, thumbnails: 'queued' });
      // Background work waits behind fresh uploads: BullMQ keeps it in the prioritized list.
      expect(await queue.getJobCounts('waiting', 'prioritized', 'active')).toEqual({ waiting: 0, prioritized: 1, active: 0 });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
