import { readFile } from 'node:fs/promises';
import os from 'node:os';

/**
 * How many cores other processes keep busy: the machine-wide busy time from /proc/stat over `ms`
 * while the bench itself does nothing. The ratios that need spare cores (upload latency with
 * thumbnails on, 2 workers against 1) read differently on a machine that others are using.
 */
export async function coresBusyElsewhere(ms = 1000): Promise<number> {
  const sample = async () => {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { total, busy: total - idle };
  };
  const before = await sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await sample();
  const total = after.total - before.total;
  return total > 0 ? ((after.busy - before.busy) / total) * os.cpus().length : Number.NaN;
}
