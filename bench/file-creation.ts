import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { now, sleep } from './stats.js';

/**
 * What creating files costs the kernel in a folder, right now. On ext4 without a journal (this machine's
 * disk), allocating an inode skips every inode of its group deleted in the last one to six minutes,
 * reading each one's deletion time on the way: after a large delete nearby (an earlier bench run's
 * clean-up, a test suite's temp folders), creating a file took 200 – 900 µs of CPU, nearly all the
 * kernel's, instead of 10 – 25, and measure 1's disk side paid it on every rendition (1 read 0.70 in one
 * such run). So measure 1 keeps its data folder away from earlier deletes (isolatedDataDir), probes the
 * cost before it times, waits for it to settle if it has not (within a bound), and reports what it found.
 */
export interface FileCreation {
  /** Whether the data folder's parent carries ext4's top-directory flag (see isolatedDataDir). */
  readonly topDir: boolean;
  /** CPU per file or folder created, µs, when the section started. */
  readonly firstMicros: number;
  /** The same when the timed rounds began, after waiting `waitedSeconds` for it to settle. */
  readonly startMicros: number;
  readonly waitedSeconds: number;
  /** The same after the timed rounds. */
  readonly endMicros: number;
}

/**
 * A new folder for a section's data (measure 1's store and database, the services' DATA_DIR) under
 * `<tmp>/imagehost-bench`, which is marked as the top of a hierarchy (`chattr +T`, ext2/3/4's
 * EXT4_TOPDIR_FL) where the filesystem allows: ext4 then places each new folder in it in a block group
 * of its own choosing (its Orlov allocator, as for folders at the root), away from the groups where the
 * temp folder's other users (an earlier run, a test suite) have just deleted files, instead of in the
 * temp folder's own group. Elsewhere the flag is refused and nothing changes. Resolves with the folder
 * and whether the flag is set.
 */
export async function isolatedDataDir(prefix: string): Promise<{ dir: string; topDir: boolean }> {
  const parent = path.join(os.tmpdir(), 'imagehost-bench');
  await mkdir(parent, { recursive: true });
  const topDir = await promisify(execFile)('chattr', ['+T', parent]).then(() => true, () => false);
  return { dir: await mkdtemp(path.join(parent, prefix)), topDir };
}

/** Below this, creating a file costs what it does on a filesystem with no recent deletes nearby (10 – 25 µs). */
const SETTLED_MICROS = 60;
const FOLDERS = 100;
const PROBE_INTERVAL_MS = 10_000;

/**
 * µs of CPU per file or folder created in `dir` (nearly all of it the kernel's): FOLDERS new folders of
 * three files each, as an image's renditions are stored. The files stay, to be removed with the bench's
 * data folder. Synchronous calls, timed on this thread's own CPU clock.
 */
export function fileCreationMicros(dir: string): number {
  const started = threadCpuNanos();
  for (let i = 0; i < FOLDERS; i++) {
    const folder = path.join(dir, String(i));
    mkdirSync(folder, { recursive: true });
    for (const name of ['a', 'b', 'c']) closeSync(openSync(path.join(folder, name), 'wx'));
  }
  return (threadCpuNanos() - started) / 1000 / (FOLDERS * 4);
}

/**
 * CPU time of this thread alone, ns (Linux' schedstat): the process's own figure would also count its
 * other threads (libuv's, the GC's, libvips') if any of them worked during the few milliseconds of a probe.
 */
function threadCpuNanos(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
}

/** Probes `dir` until file creation costs under SETTLED_MICROS or `maxWaitSeconds` have gone. */
export async function settleFileCreation(dir: string, maxWaitSeconds: number, log: (line: string) => void): Promise<Omit<FileCreation, 'endMicros' | 'topDir'>> {
  const started = now();
  let probes = 0;
  const probe = () => fileCreationMicros(path.join(dir, `probe-${probes++}`));
  const firstMicros = probe();
  let startMicros = firstMicros;
  if (firstMicros > SETTLED_MICROS && maxWaitSeconds > 0) {
    log(`  pipeline: creating a file in the data folder costs ${firstMicros.toFixed(0)} µs of CPU (settled: under ${SETTLED_MICROS}); waiting up to ${maxWaitSeconds} s`);
  }
  while (startMicros > SETTLED_MICROS && (now() - started) / 1000 + PROBE_INTERVAL_MS / 1000 <= maxWaitSeconds) {
    await sleep(PROBE_INTERVAL_MS);
    startMicros = probe();
  }
  return { firstMicros, startMicros, waitedSeconds: (now() - started) / 1000 };
}
