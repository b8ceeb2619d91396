import type { SchedulerStats, TaskScheduler } from '../ports/task-scheduler.js';

/** Counts of background jobs by state, whichever scheduler runs them. */
export class GetJobStats {
  constructor(private readonly scheduler: TaskScheduler) {}

  execute(): Promise<SchedulerStats> {
    return this.scheduler.stats();
  }
}
