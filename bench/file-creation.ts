import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { now, sleep } from './stats.js';

/**
 * What creating files costs the kernel in a folder, right now. On ext4 without a journal (this machine's
 * disk), allocating an inode skips every inode of its group deleted in the last one to six minutes,
 * reading each one's deletion time on the way: after a large delete nearby (an earlier bench run's
 * clean-up, a test suite's temp folders), creating a file took 200 – 700 µs of system CPU instead of
 * ~20, and measure 1's disk side paid it on every rendition. Measure 1 probes it before it times, waits
 * for it to settle (within a bound), and reports what it found.
 */
export interface FileCreation {
  /** System CPU per file or folder created, µs, when the section started. */
  readonly firstMicros: number;
  /** The same when the timed rounds began, after waiting `waitedSeconds` for it to settle. */
  readonly startMicros: number;
  readonly waitedSeconds: number;
  /** The same after the timed rounds. */
  readonly endMicros: number;
}

/** Below this, creating a file costs what it does on a filesystem with no recent deletes nearby (~20 µs). */
export const SETTLED_MICROS = 60;
const FOLDERS = 100;
const PROBE_INTERVAL_MS = 10_000;

/**
 * µs of system CPU per file or folder created in `dir`: FOLDERS new folders of three files each, as an
 * image's renditions are stored. The files stay, to be removed with the bench's data folder. Synchronous
 * calls, so that only this thread's system time is counted.
 */
export function fileCreationMicros(dir: string): number {
  const cpu = process.cpuUsage();
  for (let i = 0; i < FOLDERS; i++) {
    const folder = path.join(dir, String(i));
    mkdirSync(folder, { recursive: true });
    for (const name of ['a', 'b', 'c']) closeSync(openSync(path.join(folder, name), 'wx'));
  }
  return process.cpuUsage(cpu).system / (FOLDERS * 4);
}

/** Probes `dir` until file creation costs under SETTLED_MICROS or `maxWaitSeconds` have gone. */
export async function settleFileCreation(dir: string, maxWaitSeconds: number, log: (line: string) => void): Promise<Omit<FileCreation, 'endMicros'>> {
  const started = now();
  let probes = 0;
  const probe = () => fileCreationMicros(path.join(dir, `probe-${probes++}`));
  const firstMicros = probe();
  let startMicros = firstMicros;
  if (firstMicros > SETTLED_MICROS && maxWaitSeconds > 0) {
    log(`  pipeline: creating a file in the data folder costs ${firstMicros.toFixed(0)} µs of system CPU (settled: under ${SETTLED_MICROS}); waiting up to ${maxWaitSeconds} s`);
  }
  while (startMicros > SETTLED_MICROS && (now() - started) / 1000 + PROBE_INTERVAL_MS / 1000 <= maxWaitSeconds) {
    await sleep(PROBE_INTERVAL_MS);
    startMicros = probe();
  }
  return { firstMicros, startMicros, waitedSeconds: (now() - started) / 1000 };
}
