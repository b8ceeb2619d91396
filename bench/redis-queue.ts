import { Queue } from 'bullmq';

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

export function openQueue(redisUrl: string, name: string): BenchQueue {
  const queue = new Queue(name, { connection: { url: redisUrl, maxRetriesPerRequest: 3 } });
  return {
    pause: () => queue.pause(),
    resume: () => queue.resume(),
    async unfinished() {
      const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
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
