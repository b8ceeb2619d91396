import { Queue, UnrecoverableError, Worker, type Job, type RedisOptions } from 'bullmq';
import { QueueUnavailableError } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';
import { errorCodeOf } from '../error-code.js';
import { settlesWithin, withTimeout } from '../time-limit.js';
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
import { BACKOFF_TYPE, backoffBaseMs, imagehostBackoff, jobKey, retryDelayMs } from './bullmq-backoff.js';

/** Longest a schedule() or stats() call waits for Redis. */
const QUEUE_TIMEOUT_MS = 5_000;
/** BullMQ takes jobs without a priority before any prioritized one, whatever its number. */
const BACKGROUND_PRIORITY = 1;
/** Failed jobs stay visible (with their reason and stack) for a week, at most 5000 of them. */
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 5000 };
/** Per-minute data points kept by BullMQ metrics; stats() reads only their running totals. */
const METRICS_POINTS = 24 * 60;

type Payload = TaskPayloads[TaskType];
type TaskJob = Job<Payload, void, string>;

export interface BullMqTaskSchedulerOptions {
  /**
   * Where Redis is: `{ url: 'redis://host:6379' }` and/or any ioredis option (host, port, password, tls …).
   * Options, never a client: BullMQ opens its own connections from them and closes them on stop().
   */
  readonly connection: RedisOptions;
  /** Default 'imagehost-tasks'. API and worker processes must use the same name and prefix. */
  readonly queueName?: string;
  /** Most tasks this process runs at once. */
  readonly concurrency: number;
  readonly logger?: Logger;
  /** How often a worker looks for jobs whose worker died. BullMQ default 30 000 ms; use one value across workers. */
  readonly stalledIntervalMs?: number;
  /** How long a running job stays locked without renewal (renewed every half). BullMQ default 30 000 ms. */
  readonly lockDurationMs?: number;
  /** Redis key prefix. BullMQ default 'bull'. */
  readonly prefix?: string;
}

/**
 * The TaskScheduler port on a BullMQ queue in Redis. API processes only call schedule() and stats();
 * worker processes also call start(), which opens the BullMQ Worker and resolves once it is connected.
 *
 * Durable: a task is in Redis once schedule() resolves, and survives the restart of every process (as
 * far as Redis itself persists). Job ids deduplicate through BullMQ deduplication ids, atomically in
 * Redis across processes; a finished job releases its id. `normal` tasks go to BullMQ's wait list,
 * `background` ones get a priority, and BullMQ always takes the wait list first.
 *
 * On crash: a job whose worker dies stays active until its lock expires (lockDurationMs), then a live
 * worker's stalled check (every stalledIntervalMs) puts it back at the head of the queue; that rerun
 * keeps its attempt number. A job that stalls twice fails without a third run (BullMQ's maxStalledCount 1).
 *
 * stats(): waiting, active and delayed are the queue's counts in Redis, shared by every process;
 * completed and failed are totals over the queue's life (BullMQ metrics, written by the workers),
 * failed counting final failures only, not retried tries.
 *
 * Completed jobs are deleted at once; failed ones are kept for a week (at most 5000) for inspection.
 */
export class BullMqTaskScheduler implements TaskScheduler {
  private readonly options: BullMqTaskSchedulerOptions;
  private readonly queueName: string;
  private queue: Queue<Payload, void, string> | undefined;
  private queueClosed: Promise<void> = Promise.resolve();
  private worker: Worker<Payload, void, string> | undefined;
  private stopped = false;
  /** Jobs this worker is running, with the lock token that lets stop() hand them back. */
  private readonly running = new Map<TaskJob, { token: string | undefined; done: Promise<void> }>();

  constructor(options: BullMqTaskSchedulerOptions) {
    const { concurrency } = options;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`Bad concurrency: ${concurrency}`);
    this.options = options;
    this.queueName = options.queueName ?? 'imagehost-tasks';
  }

  schedule<T extends TaskType>(type: T, payload: TaskPayloads[T], options: ScheduleOptions): Promise<void> {
    return queueCall(() => this.add(type, payload, options));
  }

  stats(): Promise<SchedulerStats> {
    return queueCall(() => this.counts());
  }

  private async add<T extends TaskType>(type: T, payload: TaskPayloads[T], options: ScheduleOptions): Promise<void> {
    if (!TASK_TYPES.includes(type)) throw new TypeError(`Unknown task type "${String(type)}"`);
    const { jobId, attempts = 1, backoffMs = 1000, priority = 'normal' } = options;
    if (typeof jobId !== 'string' || jobId === '') throw new TypeError('jobId must be a non-empty string');
    if (!Number.isInteger(attempts) || attempts < 1 || !(backoffMs >= 0)) {
      throw new RangeError(`Job "${jobId}": attempts must be a positive integer and backoffMs non-negative`);
    }
    // A deduplication id, not a BullMQ job id: adding a taken job id is a no-op even once that job has
    // failed (it is kept for inspection), and job ids may not contain ':'. The deduplication key is
    // set atomically with the add and dropped when the job completes or finally fails.
    await this.openQueue().add(type, payload, {
      deduplication: { id: jobId },
      attempts,
      backoff: { type: BACKOFF_TYPE, delay: backoffMs },
      ...(priority === 'background' ? { priority: BACKGROUND_PRIORITY } : {}),
      removeOnComplete: true,
      removeOnFail: KEEP_FAILED,
    });
  }

  async start(handlers: TaskHandlers): Promise<void> {
    if (this.worker || this.stopped) throw new Error('BullMqTaskScheduler can be started only once');
    const missing = TASK_TYPES.filter((type) => typeof handlers[type] !== 'function');
    if (missing.length > 0) throw new Error(`No handler for task type(s): ${missing.map((t) => `"${t}"`).join(', ')}`);
    const { connection, prefix, concurrency, lockDurationMs, stalledIntervalMs } = this.options;
    const worker = new Worker<Payload, void, string>(this.queueName, (job, token) => this.track(job, token, this.run(job, handlers)), {
      ...withoutUndefined({ prefix, lockDuration: lockDurationMs, stalledInterval: stalledIntervalMs }),
      connection: { ...connection, maxRetriesPerRequest: null },
      concurrency,
      metrics: { maxDataPoints: METRICS_POINTS },
      settings: { backoffStrategy: imagehostBackoff },
    });
    worker.on('failed', (job, error) => this.logFinalFailure(job, error));
    worker.on('error', (error) => this.logger?.error({ message: error.message }, 'BullMQ worker error'));
    this.worker = worker;
    await worker.waitUntilReady();
  }

  async stop(options: StopOptions = {}): Promise<void> {
    this.stopped = true;
    const { worker } = this;
    if (worker && options.graceMs !== undefined && !worker.closing) {
      // Take no more jobs, give the running ones their grace, then hand back what is left.
      await worker.pause(true);
      const finished = Promise.all([...this.running.values()].map(({ done }) => done));
      if (!(await settlesWithin(finished, options.graceMs))) await this.handBack(worker);
    }
    // Worker.close waits for the jobs it runs and returns the same promise on every call.
    await worker?.close();
    // schedule() and stats() still work after stop() (on a fresh connection, closed by the next stop()).
    const queue = this.queue;
    this.queue = undefined;
    if (queue) this.queueClosed = queue.close();
    await this.queueClosed;
  }

  private async counts(): Promise<SchedulerStats> {
    const queue = this.openQueue();
    const [counts, completed, failed] = await Promise.all([
      queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed'),
      queue.getMetrics('completed', 0, 0),
      queue.getMetrics('failed', 0, 0),
    ]);
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: completed.meta.count,
      failed: failed.meta.count,
    };
  }

  /**
   * Back to the wait list with their lock released, for any worker to take now rather than after the
   * lock expires (which would also spend the job's one allowed stall). Then the worker closes without
   * waiting for them: their runs are abandoned mid-way, and the next run counts as a new try.
   */
  private async handBack(worker: Worker<Payload, void, string>): Promise<void> {
    const jobs = [...this.running.entries()];
    await Promise.all(
      jobs.map(([job, { token }]) =>
        job.moveToWait(token).catch((error: unknown) => {
          this.logger?.warn({ jobId: publicJobId(job), message: (error as Error).message }, 'could not hand back a job; its lock will expire');
        }),
      ),
    );
    this.logger?.warn({ jobs: jobs.length }, 'handed back the jobs still running when the stop grace ran out');
    await worker.close(true);
  }

  private track(job: TaskJob, token: string | undefined, run: Promise<void>): Promise<void> {
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(job, { token, done });
    void done.then(() => this.running.delete(job));
    return run;
  }

  /** The BullMQ queue itself, for admin tooling (bull-board). Still owned here: stop() closes it. */
  dashboardQueue(): Queue<Payload, void, string> {
    return this.openQueue();
  }

  private get logger(): Logger | undefined {
    return this.options.logger;
  }

  private openQueue(): Queue<Payload, void, string> {
    if (this.queue) return this.queue;
    const { connection, prefix } = this.options;
    const queue = new Queue<Payload, void, string>(this.queueName, { ...withoutUndefined({ prefix }), connection });
    queue.on('error', (error) => this.logger?.error({ message: error.message }, 'BullMQ queue error'));
    this.queue = queue;
    return queue;
  }

  private async run(job: TaskJob, handlers: TaskHandlers): Promise<void> {
    const type = job.name as TaskType;
    if (!TASK_TYPES.includes(type)) throw new UnrecoverableError(`No handler for task type "${job.name}"`);
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    // BullMQ retries when attemptsMade + 1 < attempts, and then asks imagehostBackoff for this same number.
    const retryDelay = attempt < maxAttempts ? retryDelayMs(jobKey(job), attempt, backoffBaseMs(job)) : null;
    const context: JobContext = { jobId: publicJobId(job), attempt, maxAttempts, retryDelayMs: retryDelay };
    try {
      await dispatch(handlers, type, job.data, context);
    } catch (error) {
      if (!(error instanceof PermanentTaskError)) throw error instanceof Error ? error : new Error(String(error));
      const unrecoverable = new UnrecoverableError(error.message);
      unrecoverable.cause = error;
      throw unrecoverable;
    }
  }

  /** BullMQ emits 'failed' for every failed try; only a finished job has failed for good. */
  private logFinalFailure(job: TaskJob | undefined, error: Error): void {
    if (!job || job.finishedOn === undefined) return;
    this.logger?.warn(
      {
        jobId: publicJobId(job),
        type: job.name,
        attempt: job.attemptsMade,
        maxAttempts: job.opts.attempts ?? 1,
        permanent: error.name === 'UnrecoverableError',
        code: errorCodeOf(error),
        message: error.message,
      },
      'Task failed',
    );
  }
}

function dispatch<T extends TaskType>(handlers: TaskHandlers, type: T, payload: TaskPayloads[T], context: JobContext) {
  return handlers[type](payload, context);
}

/** BullMQ merges options over its defaults with Object.assign, so an explicit undefined would erase a default. */
function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function publicJobId(job: TaskJob): string {
  return job.deduplicationId ?? job.id ?? '';
}

/**
 * Redis failures (refused, lost) as QueueUnavailableError; a bad argument stays what it is. BullMQ holds
 * commands while it reconnects, for as long as Redis is away: past QUEUE_TIMEOUT_MS the caller is told
 * (the command itself may still go through later; job ids deduplicate).
 */
async function queueCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(run(), QUEUE_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new QueueUnavailableError(`The job queue's Redis did not answer: ${reason}`, { cause: error });
  }
}
