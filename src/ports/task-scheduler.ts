/** Every task type the core schedules, with its payload. Payloads are plain JSON. */
export interface TaskPayloads {
  'generate-thumbnails': { readonly imageId: string };
}

export type TaskType = keyof TaskPayloads;

const TASK_TYPE_SET: { readonly [T in TaskType]: true } = { 'generate-thumbnails': true };

/** Every task type, at run time (the compiler keeps this list complete), so schedulers can check handlers. */
export const TASK_TYPES = Object.keys(TASK_TYPE_SET) as readonly TaskType[];

export interface ScheduleOptions {
  /**
   * Deduplication key. Scheduling a job id that is waiting, delayed or running is a no-op, so the
   * task runs once; once that job has finished the id may be scheduled again.
   */
  readonly jobId: string;
  /** Total tries, the first included. Default 1. */
  readonly attempts?: number;
  /** Base of the exponential backoff in ms: retry n waits about backoffMs × 2^(n-1), with jitter. Default 1000. */
  readonly backoffMs?: number;
  /** `background` work (regeneration, backfills) runs after all waiting `normal` work. Default normal. */
  readonly priority?: 'normal' | 'background';
}

export interface JobContext {
  readonly jobId: string;
  /** 1 for the first try. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** How long the scheduler will wait before retrying if this try throws a retryable error; null on the last try. */
  readonly retryDelayMs: number | null;
}

export type TaskHandler<T extends TaskType> = (payload: TaskPayloads[T], context: JobContext) => Promise<void>;

/** Exactly one handler for every task type. */
export type TaskHandlers = { readonly [T in TaskType]: TaskHandler<T> };

/** Thrown by a handler when retrying cannot help (corrupt input): the job fails at once. */
export class PermanentTaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentTaskError';
  }
}

export interface SchedulerStats {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
}

export interface StopOptions {
  /** How long in-flight tasks may go on finishing; unbounded when omitted. */
  readonly graceMs?: number;
}

/**
 * Runs tasks in the background, after the caller has moved on. A handler that throws is retried with
 * exponential backoff up to `attempts`, unless it throws PermanentTaskError.
 */
export interface TaskScheduler {
  /** Queues a task. Resolves once the task is accepted (durably, for durable schedulers); never waits for it to run. */
  schedule<T extends TaskType>(type: T, payload: TaskPayloads[T], options: ScheduleOptions): Promise<void>;
  /** Starts running queued tasks with these handlers (processes that only enqueue never call it). */
  start(handlers: TaskHandlers): Promise<void>;
  /**
   * Stops taking new work and resolves once in-flight tasks have finished. With `graceMs`, tasks still
   * running after that long are given up: a durable scheduler hands them back to its queue at once for
   * another worker (the interrupted run counts as a try); an in-process one drops them (the reconciler
   * queues their images again after the restart). Idempotent.
   */
  stop(options?: StopOptions): Promise<void>;
  stats(): Promise<SchedulerStats>;
}

export const TaskScheduler = Symbol.for('imagehost.TaskScheduler');
