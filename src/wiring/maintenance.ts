import type { ReconcileThumbnails } from '../application/reconcile-thumbnails.js';
import type { SweepOrphans } from '../application/sweep-orphans.js';
import type { Logger } from '../ports/logger.js';

export interface MaintenanceOptions {
  /** How often the reconciler looks for lost thumbnail work (it also runs at once). */
  readonly reconcileIntervalMs: number;
  /** How often the orphan sweep runs (it also runs at once); 0 never runs it. */
  readonly sweepIntervalMs: number;
}

export interface Maintenance {
  /** Stops the timers, asks a run in progress to stop early, and resolves once it has ended. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The background upkeep of a serving process: the thumbnail reconciler, at start-up and then
 * periodically, and the orphan sweep. A failed run is logged and the next one comes as planned;
 * the timers never keep the process alive on their own.
 */
export function startMaintenance(reconcile: ReconcileThumbnails, sweep: SweepOrphans, logger: Logger, options: MaintenanceOptions): Maintenance {
  const loops = [
    repeat(options.reconcileIntervalMs, async () => {
      try {
        const rescheduled = await reconcile.execute();
        if (rescheduled > 0) logger.info({ rescheduled }, 'rescheduled thumbnail work that had stalled');
      } catch (error) {
        logger.warn({ err: error }, 'thumbnail reconciliation failed; trying again at the next interval');
      }
    }),
  ];
  if (options.sweepIntervalMs > 0) {
    loops.push(
      repeat(options.sweepIntervalMs, async (signal) => {
        try {
          const result = await sweep.execute(signal);
          if (result.deleted > 0) logger.info({ ...result }, 'deleted orphaned objects');
        } catch (error) {
          logger.warn({ err: error }, 'orphan sweep failed; trying again at the next interval');
        }
      }),
    );
  }
  let stopping: Promise<void> | undefined;
  return { stop: () => (stopping ??= Promise.all(loops.map((loop) => loop.stop())).then(() => undefined)) };
}

/**
 * Runs `task` now, then `intervalMs` after each run has ended (so runs never overlap). `task` must not
 * reject; its signal is aborted by stop(), which then waits for the run in progress.
 */
export function repeat(intervalMs: number, task: (signal: AbortSignal) => Promise<void>): Maintenance {
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void>;
  const run = (): void => {
    current = task(stopping.signal).then(() => {
      if (stopping.signal.aborted) return;
      timer = setTimeout(run, intervalMs);
      timer.unref();
    });
  };
  run();
  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await current;
    },
  };
}
