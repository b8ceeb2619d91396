import { readFile } from 'node:fs/promises';
import os from 'node:os';

/**
 * Machine-wide CPU time so far, from /proc/stat (clock ticks): all of it, the part not idle, and the
 * part a virtual machine's host gave to others while this machine had work to run (steal; 0 on bare metal).
 */
export interface MachineTicks {
  readonly total: number;
  readonly busy: number;
  readonly steal: number;
}

/** All zero where there is no /proc/stat (not Linux): the figures made from them then read n/a. */
export async function machineTicks(): Promise<MachineTicks> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => '')).split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { total, busy: total - idle, steal: ticks[7] ?? 0 };
}

/** Cores the whole machine kept busy between two readings (every process, the kernel included). */
export function coresBusyBetween(before: MachineTicks, after: MachineTicks): number {
  const total = after.total - before.total;
  return total > 0 ? ((after.busy - before.busy) / total) * os.cpus().length : Number.NaN;
}

/**
 * How many cores other processes keep busy: the machine-wide busy time over `ms` while the bench
 * itself does nothing. The ratios that need spare cores (upload latency with thumbnails on, 2 workers
 * against 1) read differently on a machine that others are using.
 */
export async function coresBusyElsewhere(ms = 1000): Promise<number> {
  const before = await machineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return coresBusyBetween(before, await machineTicks());
}
