import { setTimeout as sleep } from 'node:timers/promises';
import type { SchedulerStats, TaskScheduler } from '../ports/task-scheduler.js';
import type { ProgressCounter } from './progress.js';

const POLL_MS = 200;

/** Jobs not finished yet: waiting, running, or waiting for a retry. */
export function outstanding(stats: SchedulerStats): number {
  return stats.waiting + stats.active + stats.delayed;
}

/**
 * Follows the jobs of a scheduler that runs them in this process (its counts start at zero with the
 * process), showing finished / all on a progress counter until it is stopped.
 */
export class JobWatch {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly scheduler: TaskScheduler,
    private readonly counter: ProgressCounter,
  ) {
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), POLL_MS);
  }

  async refresh(): Promise<SchedulerStats> {
    const stats = await this.scheduler.stats();
    const finished = stats.completed + stats.failed;
    this.counter.update(finished, finished + outstanding(stats));
    return stats;
  }

  /** Resolves with the final counts once no job is outstanding, or at once when `signal` aborts. */
  async idle(signal?: AbortSignal): Promise<SchedulerStats> {
    for (;;) {
      const stats = await this.refresh();
      if (outstanding(stats) === 0 || signal?.aborted) return stats;
      await sleep(POLL_MS);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
