import { vi } from 'vitest';
import type { JobContext, ScheduleOptions, SchedulerStats, TaskHandlers, TaskScheduler } from '../../ports/task-scheduler.js';

/** How long a test waits for a condition on the record before it fails. */
export const WAIT_MS = 5_000;

interface Call {
  readonly imageId: string;
  readonly context: JobContext;
  outcome?: 'returned' | 'threw';
}

type Behaviour = (context: JobContext) => void | Promise<void>;

export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

/**
 * Handlers whose behaviour each test scripts per image id. Every call is recorded, and tests await
 * conditions on the record (re-checked on each call and settlement) instead of sleeping.
 */
export class Harness {
  readonly calls: Call[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly listeners = new Set<() => void>();
  private readonly gates: Gate[] = [];

  readonly handlers: TaskHandlers = {
    'generate-thumbnails': async ({ imageId }, context) => {
      const call: Call = { imageId, context };
      this.calls.push(call);
      this.notify();
      try {
        await this.behaviours.get(imageId)?.(context);
        call.outcome = 'returned';
      } catch (error) {
        call.outcome = 'threw';
        throw error;
      } finally {
        this.notify();
      }
    },
  };

  /** What the handler does for this image; a throw (sync or async) fails the try. */
  on(imageId: string, behaviour: Behaviour): this {
    this.behaviours.set(imageId, behaviour);
    return this;
  }

  gate(): Gate {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const gate = { opened, open };
    this.gates.push(gate);
    return gate;
  }

  /** Lets every blocked handler finish, so closing a subject after a failed test cannot hang. */
  openAll(): void {
    for (const gate of this.gates) gate.open();
  }

  callsOf(imageId: string): Call[] {
    return this.calls.filter((call) => call.imageId === imageId);
  }

  settled(imageId: string): Call[] {
    return this.callsOf(imageId).filter((call) => call.outcome !== undefined);
  }

  until(description: string, condition: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        cleanUp();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanUp();
        reject(new Error(`Timed out after ${WAIT_MS} ms waiting until ${description}`));
      }, WAIT_MS);
      const cleanUp = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Schedules the one task type for `imageId`, with job id `job-<imageId>` unless told otherwise. */
export const schedule = (scheduler: TaskScheduler, imageId: string, options: Partial<ScheduleOptions> = {}) =>
  scheduler.schedule('generate-thumbnails', { imageId }, { jobId: `job-${imageId}`, ...options });

/**
 * Stats move after a handler settles (for a remote queue, after a round trip) and nothing signals it,
 * so stats are polled until they match.
 */
export async function statsEventually(scheduler: TaskScheduler, check: (stats: SchedulerStats) => void): Promise<void> {
  await vi.waitFor(async () => check(await scheduler.stats()), { timeout: WAIT_MS, interval: 5 });
}

