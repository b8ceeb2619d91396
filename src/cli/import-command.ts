import { createHash } from 'node:crypto';
import { open, readFile, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { IdempotentUpload } from '../application/idempotent-upload.js';
import type { Config } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { createImagehost } from '../imagehost.js';
import type { Logger } from '../ports/logger.js';
import { TaskScheduler } from '../ports/task-scheduler.js';
import { EXIT_FAILURES, EXIT_OK, UsageError } from './arguments.js';
import { filesUnder } from './image-files.js';
import type { ImportOptions } from './import-options.js';
import { ImportReport, SKIP_REASONS, type ImportOutcome, type ThumbnailOutcome } from './import-report.js';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from './interrupt.js';
import { JobWatch, outstanding } from './job-watch.js';
import { startProgress } from './progress.js';

export async function runImport(options: ImportOptions, config: Config, logger: Logger): Promise<number> {
  const root = await directory(options.directory);
  const manifest = options.manifest === undefined ? undefined : await openManifest(options.manifest);
  const started = Date.now();
  const host = await createImagehost(config, logger).catch(async (error: unknown) => {
    await manifest?.close();
    throw error;
  });
  const interrupt = onInterrupt();
  const progress = startProgress('import');
  const scheduler = host.container.get<TaskScheduler>(TaskScheduler);
  const counter = progress.counter('files');
  // The in-process queue lives in this process: run its jobs here, or nobody will.
  const watch = config.QUEUE === 'in-process' ? new JobWatch(scheduler, progress.counter('thumbnails')) : undefined;
  try {
    if (watch) await host.startWorker();
    const { files, others } = await filesUnder(root);
    const report = new ImportReport(root);
    for (const { file, kind } of others) report.add({ kind: 'skipped', file, code: 'NOT_A_FILE', message: kind });
    const upload = host.container.get(IdempotentUpload);
    const total = files.length + others.length;
    let done = others.length;
    await forEachConcurrently(files, options.concurrency, interrupt.signal, async (file) => {
      const outcome = await importFile(upload, file, config.MAX_UPLOAD_BYTES);
      report.add(outcome);
      if (manifest && outcome.kind === 'imported') await manifest.write(manifestLine(outcome));
      counter.update(++done, total);
    });
    const jobs = watch ? await watch.idle(interrupt.signal) : undefined;
    progress.stop();
    const thumbnails: ThumbnailOutcome = jobs ? { done: jobs.completed, failed: jobs.failed, left: outstanding(jobs) } : 'queued';
    const seconds = (Date.now() - started) / 1000;
    const interrupted = interrupt.signal.aborted;
    console.log(options.json ? report.json(total, seconds, thumbnails, interrupted) : report.text(total, seconds, thumbnails, interrupted));
    if (interrupted) return INTERRUPTED_EXIT_CODE;
    return report.failed.length > 0 ? EXIT_FAILURES : EXIT_OK;
  } finally {
    watch?.stop();
    progress.stop();
    interrupt.dispose();
    await manifest?.close();
    await host.close();
  }
}

async function importFile(upload: IdempotentUpload, file: string, maxUploadBytes: number): Promise<ImportOutcome> {
  try {
    const { size, mtimeMs } = await stat(file);
    // Refused unread, as the HTTP API refuses a stream past the limit.
    if (size > maxUploadBytes) return { kind: 'skipped', file, code: 'FILE_TOO_LARGE', message: `${size} bytes; the limit is ${maxUploadBytes}` };
    const bytes = await readFile(file);
    // Background work: a bulk import on a shared queue must not hold up the service's live uploads.
    const request = { bytes, filename: path.basename(file), priority: 'background' } as const;
    const result = await upload.execute(request, idempotencyKey(file, size, mtimeMs));
    return { kind: 'imported', file, id: result.image.id, deleteToken: result.deleteToken, replayed: result.replayed };
  } catch (error) {
    const code = error instanceof DomainError ? error.code : errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    return { kind: code in SKIP_REASONS ? 'skipped' : 'failed', file, code, message };
  }
}

/** Same file, same key: path, size and modification time (not the bytes, so a re-run reads nothing twice to decide). */
function idempotencyKey(file: string, size: number, mtimeMs: number): string {
  return `import-${createHash('sha256').update(`imagehost import v1\0${file}\0${size}\0${mtimeMs}`).digest('hex')}`;
}

async function directory(given: string): Promise<string> {
  const resolved = await realpath(path.resolve(given)).catch(() => null);
  if (resolved === null || !(await stat(resolved)).isDirectory()) throw new UsageError(`"${given}" is not a directory`);
  return resolved;
}

async function openManifest(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'a');
  } catch (error) {
    throw new UsageError(`cannot open the manifest "${file}": ${error instanceof Error ? error.message : String(error)}`);
  }
}

function manifestLine(outcome: Extract<ImportOutcome, { kind: 'imported' }>): string {
  return `${JSON.stringify({ file: outcome.file, id: outcome.id, delete_token: outcome.deleteToken, replayed: outcome.replayed })}\n`;
}

function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : 'UNEXPECTED_ERROR';
}

/** Runs `work` on each item, at most `limit` at once; once `signal` aborts no further item starts. `work` must not throw. */
async function forEachConcurrently<T>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
