import type { TaskScheduler } from '../ports/task-scheduler.js';
import type { ThumbnailSettings } from './settings.js';

/** The one way the core queues thumbnail work, so every caller uses the same job id and retry policy. */
export function scheduleThumbnails(
  scheduler: TaskScheduler,
  settings: ThumbnailSettings,
  imageId: string,
  priority: 'normal' | 'background',
): Promise<void> {
  return scheduler.schedule(
    'generate-thumbnails',
    { imageId },
    { jobId: `thumbnails:${imageId}`, attempts: settings.attempts, backoffMs: settings.backoffMs, priority },
  );
}
