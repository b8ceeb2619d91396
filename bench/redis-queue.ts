import { Queue } from 'bullmq';
import type { ServiceProcess } from './service.js';
import { now } from './stats.js';

/**
 * The bench's own handle on a BullMQ queue the service uses (same name, BullMQ's default prefix, as
 * BullMqTaskScheduler opens it): to hold workers back while a batch is enqueued, to see when the
 * batch is done, and to remove every key of the run's unique queue afterwards.
 */
export interface BenchQueue {
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Jobs not finished yet: waiting (paused or not), prioritized, active or delayed. */
  unfinished(): Promise<number>;
  /** Removes the queue and every job key from Redis, then disconnects. */
  drop(): Promise<void>;
}

/** How often `watchFinished` also checks the counts, in case a line went missing. */
const RECHECK_MS = 1000;

export function openQueue(redisUrl: string, name: string): BenchQueue {
  const queue = new Queue(name, { connection: { url: redisUrl, maxRetriesPerRequest: 3 } });
  const unfinished = async () => {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  return {
    pause: () => queue.pause(),
    resume: () => queue.resume(),
    unfinished,
    async drop() {
      try {
        await queue.obliterate({ force: true });
      } finally {
        await queue.close();
      }
    },
  };
}

/**
 * Starts counting the jobs `workers` finish (complete, or fail for good) from now on. `done` resolves
 * once no job is left unfinished: with the performance.now() at which the `count`-th one's log line
 * arrived (or, should one go missing, when a count check found the queue empty); or with null after
 * `timeoutMs`. The workers' log lines, which the bench reads anyway, rather than BullMQ's event stream:
 * a QueueEvents reader woke the bench for every job's events and sent Redis a read for each, ~0.3 ms
 * of CPU a job that, with both cores busy, the workers being measured would otherwise have had; and
 * rather than polling the counts every few ms, which costs more still and times the end only to
 * within its interval.
 */
export function watchFinished(queue: BenchQueue, workers: readonly ServiceProcess[], count: number, timeoutMs: number): { done: Promise<number | null> } {
  const counted = workers.map((w) => w.jobsFinished());
  let lastAt = now();
  let wake = () => {};
  const finished = () => workers.reduce((a, w, i) => a + w.jobsFinished() - counted[i]!, 0);
  const unsubscribe = workers.map((w) =>
    w.onJobFinished(() => {
      lastAt = now();
      if (finished() >= count) wake();
    }),
  );
  const deadline = now() + timeoutMs;
  const done = (async () => {
    try {
      while (now() < deadline) {
        if (finished() >= count) return lastAt;
        // With a line missing, the end is known only to within RECHECK_MS.
        if ((await queue.unfinished()) === 0) return finished() >= count ? lastAt : now();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RECHECK_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return null;
    } finally {
      for (const stop of unsubscribe) stop();
    }
  })();
  return { done };
}

export function dropQueue(redisUrl: string, name: string): Promise<void> {
  return openQueue(redisUrl, name).drop();
}
