import type { ScheduleOptions, TaskScheduler } from '../../src/ports/task-scheduler.js';

/** A TaskScheduler that records what was scheduled and runs nothing. */
export function recordingScheduler(): TaskScheduler & { calls: { imageId: string; options: ScheduleOptions }[] } {
  const calls: { imageId: string; options: ScheduleOptions }[] = [];
  return {
    calls,
    schedule: (_type, payload, options) => (calls.push({ imageId: payload.imageId, options }), Promise.resolve()),
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    stats: () => Promise.resolve({ waiting: calls.length, active: 0, delayed: 0, completed: 0, failed: 0 }),
  };
}
