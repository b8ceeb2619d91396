import { processMemory } from './service.js';
import { MiB } from './stats.js';

/**
 * Measure 5's instruments: the service process's resident memory, read from /proc/<pid>/status
 * (VmRSS now, VmHWM the peak since start), sampled every 100 ms while a round runs.
 */
export interface RoundMemory {
  /** Highest VmRSS sampled during the round, MiB. */
  readonly sampledPeakMiB: number;
  /** VmHWM after the round: the peak since the process started, MiB. */
  readonly peakSinceStartMiB: number;
  /** VmRSS once the round's work has finished and the process has idled for a moment, MiB. */
  readonly afterMiB: number;
  /** CPU seconds ÷ wall seconds while this process was under load (and, with thumbnails on, draining). */
  readonly coresUsed: number;
}

export interface Sampler {
  /** Stops sampling; resolves with the highest VmRSS seen. */
  stop(): Promise<{ sampledPeakMiB: number }>;
}

export function startSampler(pid: number, intervalMs = 100): Sampler {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    // Bounded by the caller's stop(); a vanished process ends it too.
    while (!stopped) {
      const memory = await processMemory(pid).catch(() => null);
      if (!memory) return;
      peak = Math.max(peak, memory.rss);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { sampledPeakMiB: peak / MiB };
    },
  };
}

export async function memoryNow(pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const { rss, peak } = await processMemory(pid);
  return { rssMiB: rss / MiB, peakMiB: peak / MiB };
}
