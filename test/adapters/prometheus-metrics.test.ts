import { describe, expect, it } from 'vitest';
import { FakeImageResizer, fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { withJobMetrics } from '../../src/adapters/prometheus/job-metrics.js';
import { MeasuredImageResizer } from '../../src/adapters/prometheus/measured-image-resizer.js';
import { ImagehostMetrics } from '../../src/adapters/prometheus/metrics.js';
import { PermanentTaskError, type JobContext, type SchedulerStats } from '../../src/ports/task-scheduler.js';
import { sample } from '../support/observed-server.js';

const job = (overrides: Partial<JobContext> = {}): JobContext => ({ jobId: 'j', attempt: 1, maxAttempts: 3, retryDelayMs: 100, ...overrides });
const stats = (overrides: Partial<SchedulerStats> = {}): SchedulerStats => ({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, ...overrides });

describe('ImagehostMetrics', () => {
  it('keeps its own registry: two instances in one process do not collide', async () => {
    const first = new ImagehostMetrics({ processMetrics: false });
    const second = new ImagehostMetrics({ processMetrics: false });
    first.observeUpload('created', 0.2);
    expect(sample(await first.registry.metrics(), 'imagehost_uploads_total', { result: 'created' })).toBe(1);
    expect(sample(await second.registry.metrics(), 'imagehost_uploads_total', { result: 'created' })).toBeUndefined();
  });

  it('folds label values that are not error codes into OTHER', async () => {
    const metrics = new ImagehostMetrics({ processMetrics: false });
    metrics.observeUpload('not a code: /etc/passwd', 0.1);
    metrics.observeJob('failed', 'x'.repeat(100));
    const text = await metrics.registry.metrics();
    expect(sample(text, 'imagehost_uploads_total', { result: 'OTHER' })).toBe(1);
    expect(sample(text, 'imagehost_job_failures_total', { code: 'OTHER' })).toBe(1);
  });

  it('reads the queue depth from the scheduler on every scrape, and leaves it out when the scheduler does not answer', async () => {
    let answer: () => Promise<SchedulerStats> = () => Promise.resolve(stats({ waiting: 4, active: 2, delayed: 1, completed: 9 }));
    const metrics = new ImagehostMetrics({ processMetrics: false, scheduler: { stats: () => answer() } });
    let text = await metrics.registry.metrics();
    expect([sample(text, 'imagehost_queue_jobs', { state: 'waiting' }), sample(text, 'imagehost_queue_jobs', { state: 'active' })]).toEqual([4, 2]);
    expect(sample(text, 'imagehost_queue_jobs', { state: 'delayed' })).toBe(1);
    expect(sample(text, 'imagehost_queue_jobs', { state: 'completed' })).toBeUndefined();

    answer = () => Promise.resolve(stats({ waiting: 1 }));
    expect(sample(await metrics.registry.metrics(), 'imagehost_queue_jobs', { state: 'waiting' })).toBe(1);

    answer = () => Promise.reject(new Error('Redis is down'));
    text = await metrics.registry.metrics();
    expect(sample(text, 'imagehost_queue_jobs', { state: 'waiting' })).toBeUndefined();
    expect(text).toContain('imagehost_uploads_total');
  });

  it('registers the process metrics unless told not to', async () => {
    const text = await new ImagehostMetrics().registry.metrics();
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('MeasuredImageResizer', () => {
  it('times each successful render by its size set and counts renditions by size; failures are not timed', async () => {
    const metrics = new ImagehostMetrics({ processMetrics: false });
    const resizer = new MeasuredImageResizer(new FakeImageResizer(), metrics);
    const options = { sizes: [150, 300], format: 'jpeg', quality: 85 } as const;
    expect(await resizer.probe(fakeImageBytes('png', 800, 600))).toMatchObject({ format: 'png', width: 800 });
    const result = await resizer.render(fakeImageBytes('png', 800, 600), options);
    expect(result.renditions.map((r) => r.size)).toEqual([150, 300]);
    await expect(resizer.render(new TextEncoder().encode('not an image'), options)).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'imagehost_render_duration_seconds_count', { sizes: '150,300' })).toBe(1);
    expect(sample(text, 'imagehost_renditions_total', { size: '150' })).toBe(1);
    expect(sample(text, 'imagehost_renditions_total', { size: '300' })).toBe(1);
  });
});

describe('withJobMetrics', () => {
  it('counts tries by result and failed tries by the code of the error or its cause, rethrowing untouched', async () => {
    const metrics = new ImagehostMetrics({ processMetrics: false });
    const outcomes: [Error | undefined, JobContext][] = [
      [undefined, job()],
      [Object.assign(new Error('storage down'), { code: 'ECONNREFUSED' }), job()],
      [new PermanentTaskError('INVALID_IMAGE', { cause: Object.assign(new Error('bad'), { code: 'INVALID_IMAGE' }) }), job()],
      [new Error('no code'), job({ attempt: 3, retryDelayMs: null })],
    ];
    for (const [error, context] of outcomes) {
      const wrapped = withJobMetrics({ 'generate-thumbnails': () => (error ? Promise.reject(error) : Promise.resolve()) }, metrics);
      const run = wrapped['generate-thumbnails']({ imageId: 'i' }, context);
      if (error) await expect(run).rejects.toBe(error);
      else await run;
    }
    const text = await metrics.registry.metrics();
    expect(['completed', 'retrying', 'failed'].map((result) => sample(text, 'imagehost_jobs_total', { result }))).toEqual([1, 1, 2]);
    expect(['ECONNREFUSED', 'INVALID_IMAGE', 'UNEXPECTED_ERROR'].map((code) => sample(text, 'imagehost_job_failures_total', { code }))).toEqual([1, 1, 1]);
  });
});
