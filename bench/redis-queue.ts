import { Queue, QueueEvents } from 'bullmq';
import { now } from './stats.js';

/**
 * The bench's own handle on a BullMQ queue the service uses (same name, BullMQ's default prefix, as
 * BullMqTaskScheduler opens it): to hold workers back while a batch is enqueued, to see when the
 * batch is done, and to remove every key of the run's unique queue afterwards.
 */
export interface BenchQueue {
  pause(): Promise<void>;
  resume(): Promise<void>;
  /**
   * Starts counting the jobs that finish (complete, or fail for good) from now on. `done` resolves once no
   * job is left unfinished: with the performance.now() at which the `count`-th one's event arrived (or,
   * should an event go missing, when a count check found the queue empty); or with null after `timeoutMs`.
   */
  watchFinished(count: number, timeoutMs: number): Promise<{ done: Promise<number | null> }>;
  /** Removes the queue and every job key from Redis, then disconnects. */
  drop(): Promise<void>;
}

/** How often `watchFinished` also checks the counts, in case an event went missing. */
const RECHECK_MS = 1000;

export function openQueue(redisUrl: string, name: string): BenchQueue {
  const queue = new Queue(name, { connection: { url: redisUrl, maxRetriesPerRequest: 3 } });
  /** Jobs not finished yet: waiting (paused or not), prioritized, active or delayed. */
  const unfinished = async () => {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  return {
    pause: () => queue.pause(),
    resume: () => queue.resume(),
    // Events rather than polling the counts every few ms: a poll costs the bench and Redis CPU that the
    // workers being measured would otherwise have, and it times the end only to within its interval.
    async watchFinished(count, timeoutMs) {
      const events = new QueueEvents(name, {
        // A blocking reader: BullMQ wants it to retry its commands for ever.
        connection: { url: redisUrl, maxRetriesPerRequest: null },
        // The stream from this moment on (its ids are Redis's clock in ms, which is this machine's), so
        // an event logged before the listener's first read still counts.
        lastEventId: `${Date.now()}-0`,
      });
      await events.waitUntilReady();
      let finished = 0;
      let lastAt = now();
      let wake = () => {};
      const onFinished = () => {
        finished++;
        lastAt = now();
        if (finished >= count) wake();
      };
      events.on('completed', onFinished);
      events.on('failed', onFinished);
      const deadline = now() + timeoutMs;
      const done = (async () => {
        try {
          while (now() < deadline) {
            // With an event missing, the end is known only to within RECHECK_MS.
            if ((await unfinished()) === 0) return finished >= count ? lastAt : now();
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
          await events.close();
        }
      })();
      return { done };
    },
    async drop() {
      try {
        await queue.obliterate({ force: true });
      } finally {
        await queue.close();
      }
    },
  };
}

export function dropQueue(redisUrl: string, name: string): Promise<void> {
  return openQueue(redisUrl, name).drop();
}
