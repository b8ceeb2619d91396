import { RegenerateThumbnails } from '../application/regenerate-thumbnails.js';
import type { Config } from '../config.js';
import { InvalidParameterError } from '../domain/errors.js';
import { createImagehost, thumbnailSettings } from '../imagehost.js';
import { Clock } from '../ports/clock.js';
import { ImageRepository } from '../ports/image-repository.js';
import type { Logger } from '../ports/logger.js';
import { TaskScheduler } from '../ports/task-scheduler.js';
import { EXIT_FAILURES, EXIT_OK, UsageError } from './arguments.js';
import { thumbnailLine, type ThumbnailOutcome } from './import-report.js';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from './interrupt.js';
import { JobWatch, outstanding } from './job-watch.js';
import { startProgress } from './progress.js';
import type { RegenerateOptions } from './regenerate-options.js';

export async function runRegenerate({ request, json }: RegenerateOptions, config: Config, logger: Logger): Promise<number> {
  const host = await createImagehost(config, logger);
  const interrupt = onInterrupt();
  const progress = startProgress('regenerate');
  const scheduler = host.container.get<TaskScheduler>(TaskScheduler);
  const runsHere = config.QUEUE === 'in-process' && !request.dryRun;
  const watch = runsHere ? new JobWatch(scheduler, progress.counter('thumbnails')) : undefined;
  try {
    if (runsHere) await host.startWorker();
    const regenerate = new RegenerateThumbnails({
      images: host.container.get<ImageRepository>(ImageRepository),
      scheduler,
      clock: host.container.get<Clock>(Clock),
      settings: thumbnailSettings(config),
    });
    // Without jobs to follow here, the count of images queued so far is the progress.
    const queuing = watch ? undefined : progress.counter('queued');
    let seen = 0;
    const queued = await regenerate.execute(request, () => queuing?.update(++seen, seen), interrupt.signal).catch((error: unknown) => {
      throw error instanceof InvalidParameterError ? new UsageError(error.message) : error;
    });
    const jobs = watch ? await watch.idle(interrupt.signal) : undefined;
    progress.stop();
    const thumbnails: ThumbnailOutcome = jobs ? { done: jobs.completed, failed: jobs.failed, left: outstanding(jobs) } : 'queued';
    const selection = request.select.join('+') + (request.sizes ? ` lacking ${request.sizes.join(',')}` : '');
    if (json) console.log(JSON.stringify({ selection: request.select, sizes: request.sizes ?? null, dry_run: request.dryRun ?? false, queued, thumbnails: request.dryRun ? null : thumbnails }));
    else if (request.dryRun) console.log(`${queued} image(s) would be queued (${selection}); nothing was queued`);
    else console.log(`queued ${queued} image(s) (${selection}) as background work\nthumbnails: ${thumbnailLine(thumbnails)}`);
    if (interrupt.signal.aborted) return INTERRUPTED_EXIT_CODE;
    return jobs && jobs.failed > 0 ? EXIT_FAILURES : EXIT_OK;
  } finally {
    watch?.stop();
    progress.stop();
    interrupt.dispose();
    await host.close();
  }
}
