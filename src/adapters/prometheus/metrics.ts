import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SchedulerStats, TaskScheduler } from '../../ports/task-scheduler.js';
import { withTimeout } from '../time-limit.js';

/** Queue states that are a depth (jobs in the queue now); completed/failed are life totals, counted by imagehost_jobs_total. */
const QUEUE_STATES = ['waiting', 'active', 'delayed'] as const satisfies readonly (keyof SchedulerStats)[];
/** A scrape must not hang on a queue that does not answer (Redis down): the gauge is left empty instead. */
const STATS_TIMEOUT_MS = 2000;
/** Label values come from error codes: anything else folds into one value, so a label never grows unbounded. */
const CODE_LABEL = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export type JobResult = 'completed' | 'retrying' | 'failed';

export interface ImagehostMetricsOptions {
  /** Read on every scrape for imagehost_queue_jobs; without it the gauge is absent. */
  readonly scheduler?: Pick<TaskScheduler, 'stats'>;
  /** process_* and nodejs_* runtime metrics (CPU, memory, event loop lag, GC, handles). Default true. */
  readonly processMetrics?: boolean;
}

/**
 * imagehost's Prometheus metrics, on a registry of their own (never prom-client's global one, so two
 * instances in one process, as in tests, do not collide). Serve `registry` on `/metrics`.
 */
export class ImagehostMetrics {
  readonly registry = new Registry();
  private readonly uploads: Counter<'result'>;
  private readonly uploadDuration: Histogram<'outcome'>;
  private readonly renderDuration: Histogram<'sizes'>;
  private readonly renditions: Counter<'size'>;
  private readonly jobs: Counter<'result'>;
  private readonly jobFailures: Counter<'code'>;

  constructor(options: ImagehostMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.uploads = new Counter({
      name: 'imagehost_uploads_total',
      help: 'Uploads answered, by result: created, replayed (Idempotency-Key) or the error code',
      labelNames: ['result'],
      registers,
    });
    this.uploadDuration = new Histogram({
      name: 'imagehost_upload_duration_seconds',
      help: 'Time from the upload request to its answer (receiving the body included), by outcome: ok (created or replayed) or error',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.renderDuration = new Histogram({
      name: 'imagehost_render_duration_seconds',
      help: 'Successful renders (one decode, every size and the placeholder), by the set of sizes rendered',
      labelNames: ['sizes'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.renditions = new Counter({
      name: 'imagehost_renditions_total',
      help: 'Renditions rendered, by size',
      labelNames: ['size'],
      registers,
    });
    this.jobs = new Counter({
      name: 'imagehost_jobs_total',
      help: 'Job tries run by this process, by result: completed, retrying (failed, another try to come) or failed (for good)',
      labelNames: ['result'],
      registers,
    });
    this.jobFailures = new Counter({
      name: 'imagehost_job_failures_total',
      help: 'Failed job tries run by this process (retried or final), by error code',
      labelNames: ['code'],
      registers,
    });
    const scheduler = options.scheduler;
    if (scheduler) {
      const queueJobs: Gauge<'state'> = new Gauge({
        name: 'imagehost_queue_jobs',
        help: 'Jobs in the queue now, by state (with BullMQ: the whole queue, the same from every process)',
        labelNames: ['state'],
        registers,
        async collect() {
          queueJobs.reset();
          const stats = await withTimeout(scheduler.stats(), STATS_TIMEOUT_MS).catch(() => null);
          if (!stats) return;
          for (const state of QUEUE_STATES) queueJobs.set({ state }, stats[state]);
        },
      });
    }
  }

  /** One answered upload: `created`, `replayed` or its error code. */
  observeUpload(result: string, seconds: number): void {
    this.uploads.inc({ result: codeLabel(result) });
    const ok = result === 'created' || result === 'replayed';
    this.uploadDuration.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
  }

  /** One successful render of `sizes` (all from one decode). */
  observeRender(sizes: readonly number[], seconds: number): void {
    this.renderDuration.observe({ sizes: sizes.join(',') }, seconds);
    for (const size of sizes) this.renditions.inc({ size: String(size) });
  }

  /** One job try: its result and, when it failed, its error code (undefined when it has none). */
  observeJob(result: JobResult, failureCode?: string): void {
    this.jobs.inc({ result });
    if (result !== 'completed') this.jobFailures.inc({ code: codeLabel(failureCode ?? 'UNEXPECTED_ERROR') });
  }
}

function codeLabel(code: string): string {
  return CODE_LABEL.test(code) ? code : 'OTHER';
}
