import { AsyncResource } from 'node:async_hooks';
import type { Logger } from '../../ports/logger.js';
import { errorCodeOf } from '../error-code.js';
import { settlesWithin } from '../time-limit.js';
import {
  PermanentTaskError,
  TASK_TYPES,
  type JobContext,
  type ScheduleOptions,
  type SchedulerStats,
  type StopOptions,
  type TaskHandlers,
  type TaskPayloads,
  type TaskScheduler,
  type TaskType,
} from '../../ports/task-scheduler.js';

const JITTER = 0.2;

interface Job {
  readonly type: TaskType;
  readonly jobId: string;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly priority: 'normal' | 'background';
  readonly attempt: number;
  readonly invoke: (handlers: TaskHandlers, context: JobContext) => Promise<void>;
}

export interface InProcessTaskSchedulerOptions {
  /** Most tasks running at once. */
  readonly concurrency: number;
  readonly logger?: Logger;
}

/**
 * Runs tasks in this process, at most `concurrency` at a time, `normal` before `background`.
 * Work starts on a later event-loop turn than schedule(), so the caller's response goes out first.
 * Tasks scheduled before start() wait for it. A failed try is retried after
 * backoffMs × 2^(attempt-1) ± 20% jitter; that delay is computed before the try and handed to the handler.
 *
 * Not durable: waiting and delayed tasks are lost when the process exits. stop() cancels retry timers
 * and leaves their tasks waiting (never to run in this process); re-scheduling them is the reconciler's job.
 */
export class InProcessTaskScheduler implements TaskScheduler {
  private readonly concurrency: number;
  private readonly logger: Logger | undefined;
  private handlers: TaskHandlers | undefined;
  private stopped = false;
  private pumpQueued = false;
  private readonly jobIds = new Set<string>();
  private readonly waiting: Record<Job['priority'], Job[]> = { normal: [], background: [] };
  private readonly delayed = new Map<string, { job: Job; timer: NodeJS.Timeout }>();
  private readonly inFlight = new Set<Promise<void>>();
  private completed = 0;
  private failed = 0;
  private readonly pumpSoon: () => void;

  constructor({ concurrency, logger }: InProcessTaskSchedulerOptions) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`Bad concurrency: ${concurrency}`);
    this.concurrency = concurrency;
    this.logger = logger;
    // Bound here, once: the pump (and the tries, retry timers and log lines it starts) runs in the async
    // context the scheduler was created in, not in that of whichever request happened to wake it
    // (whose AsyncLocalStorage log context, its request id, would otherwise tag the scheduler's lines).
    this.pumpSoon = AsyncResource.bind(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  schedule<T extends TaskType>(type: T, payload: TaskPayloads[T], options: ScheduleOptions): Promise<void> {
    // Run inside the executor so a bad argument becomes a rejection, as the port's Promise promises.
    return new Promise((resolve) => resolve(this.accept(type, payload, options)));
  }

  start(handlers: TaskHandlers): Promise<void> {
    return new Promise((resolve) => resolve(this.begin(handlers)));
  }

  async stop(options: StopOptions = {}): Promise<void> {
    const first = !this.stopped;
    this.stopped = true;
    for (const { job, timer } of this.delayed.values()) {
      clearTimeout(timer);
      this.enqueue(job);
    }
    this.delayed.clear();
    const finished = Promise.all(this.inFlight);
    if (options.graceMs !== undefined && !(await settlesWithin(finished, options.graceMs))) {
      this.logger?.warn({ running: this.inFlight.size, graceMs: options.graceMs }, 'Task scheduler stopped with tasks still running; they are dropped');
      return;
    }
    await finished;
    const unstarted = this.waitingCount();
    if (first && unstarted > 0) {
      this.logger?.warn({ unstarted }, 'Task scheduler stopped with tasks that never ran; they are lost at exit');
    }
  }

  stats(): Promise<SchedulerStats> {
    return Promise.resolve({
      waiting: this.waitingCount(),
      active: this.inFlight.size,
      delayed: this.delayed.size,
      completed: this.completed,
      failed: this.failed,
    });
  }

  private accept<T extends TaskType>(type: T, payload: TaskPayloads[T], options: ScheduleOptions): void {
    if (!TASK_TYPES.includes(type)) throw new TypeError(`Unknown task type "${String(type)}"`);
    const { jobId, attempts = 1, backoffMs = 1000, priority = 'normal' } = options;
    if (!Number.isInteger(attempts) || attempts < 1 || !(backoffMs >= 0)) {
      throw new RangeError(`Job "${jobId}": attempts must be a positive integer and backoffMs non-negative`);
    }
    if (this.jobIds.has(jobId)) return;
    this.jobIds.add(jobId);
    const invoke: Job['invoke'] = (handlers, context) => handlers[type](payload, context);
    const queue = priority === 'background' ? 'background' : 'normal';
    this.enqueue({ type, jobId, maxAttempts: attempts, backoffMs, priority: queue, attempt: 1, invoke });
  }

  private begin(handlers: TaskHandlers): void {
    if (this.handlers || this.stopped) throw new Error('InProcessTaskScheduler can be started only once');
    const missing = TASK_TYPES.filter((type) => typeof handlers[type] !== 'function');
    if (missing.length > 0) throw new Error(`No handler for task type(s): ${missing.map((t) => `"${t}"`).join(', ')}`);
    this.handlers = handlers;
    this.wake();
  }

  private waitingCount(): number {
    return this.waiting.normal.length + this.waiting.background.length;
  }

  private enqueue(job: Job): void {
    this.waiting[job.priority].push(job);
    this.wake();
  }

  /** setImmediate, not a microtask: the caller's whole await chain (and its HTTP response) runs first. */
  private wake(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(this.pumpSoon);
  }

  private pump(): void {
    const handlers = this.handlers;
    while (handlers && !this.stopped && this.inFlight.size < this.concurrency) {
      const job = this.waiting.normal.shift() ?? this.waiting.background.shift();
      if (!job) return;
      const run: Promise<void> = this.run(job, handlers).finally(() => {
        this.inFlight.delete(run);
        this.wake();
      });
      this.inFlight.add(run);
    }
  }

  private async run(job: Job, handlers: TaskHandlers): Promise<void> {
    const { jobId, attempt, maxAttempts } = job;
    const retryDelayMs = attempt < maxAttempts ? this.backoff(job) : null;
    try {
      await job.invoke(handlers, { jobId, attempt, maxAttempts, retryDelayMs });
      this.completed++;
      this.jobIds.delete(jobId);
    } catch (error) {
      if (retryDelayMs === null || error instanceof PermanentTaskError) return this.fail(job, error);
      const next = { ...job, attempt: attempt + 1 };
      if (this.stopped) return this.enqueue(next);
      const timer = setTimeout(() => {
        this.delayed.delete(jobId);
        this.enqueue(next);
      }, retryDelayMs);
      this.delayed.set(jobId, { job: next, timer });
    }
  }

  private backoff({ backoffMs, attempt }: Job): number {
    const jitter = 1 + (Math.random() * 2 - 1) * JITTER;
    return Math.round(backoffMs * 2 ** (attempt - 1) * jitter);
  }

  private fail({ jobId, type, attempt, maxAttempts }: Job, error: unknown): void {
    this.failed++;
    this.jobIds.delete(jobId);
    const permanent = error instanceof PermanentTaskError;
    const message = error instanceof Error ? error.message : String(error);
    this.logger?.warn({ jobId, type, attempt, maxAttempts, permanent, code: errorCodeOf(error), message }, 'Task failed');
  }
}
