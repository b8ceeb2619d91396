import type { Clock } from '../ports/clock.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { TaskScheduler } from '../ports/task-scheduler.js';
import { scheduleThumbnails } from './schedule-thumbnails.js';
import type { ThumbnailSettings } from './settings.js';

export interface ReconcileOptions {
  /** Work untouched for this long (and no retry due within it) is taken for lost. */
  readonly staleAfterMs: number;
  /** Most images re-scheduled per run, oldest first; the rest wait for the next run. */
  readonly maxPerRun: number;
}

/**
 * Finds thumbnail work nothing will finish on its own and queues it again: an image left pending
 * because its process died between the database commit and the enqueue (or its queue lost the job,
 * as an in-process queue does on every restart), and one left processing by a worker that died.
 * Run it at start-up and periodically, whatever the scheduler.
 *
 * It never writes the image: it only schedules, with the image's usual job id, so a job that is in
 * fact still waiting or running (a long queue, a slow decode) makes the schedule a no-op and is not
 * disturbed. A re-run job starts over with a fresh budget of attempts, as background work, so fresh
 * uploads keep priority; for an image left processing, the run that never finished counts as a try
 * (GenerateThumbnails), so one that kills its workers ends failed. Resolves with how many images it scheduled.
 */
export class ReconcileThumbnails {
  constructor(
    private readonly images: ImageRepository,
    private readonly scheduler: TaskScheduler,
    private readonly clock: Clock,
    private readonly settings: ThumbnailSettings,
    private readonly options: ReconcileOptions,
  ) {}

  async execute(): Promise<number> {
    const updatedBefore = new Date(this.clock.now().getTime() - this.options.staleAfterMs);
    const stale = await this.images.findStale({ statuses: ['pending', 'processing'], updatedBefore, limit: this.options.maxPerRun });
    for (const image of stale) await scheduleThumbnails(this.scheduler, this.settings, image.id, 'background');
    return stale.length;
  }
}
