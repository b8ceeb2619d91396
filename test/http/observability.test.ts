import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { uploadFile, waitForThumbnail } from '../support/test-server.js';
import { sample, startObservedServer, waitForLine, type ObservedServer } from '../support/observed-server.js';

const ADMIN_TOKEN = 'observed-admin-token-5f0c9e1d7a';
// Set even on the embedded stack (unused there) so the configuration dump has every kind of secret.
const CREDENTIALS = { S3_ACCESS_KEY: 'observed-access-key-4b1e', S3_SECRET_KEY: 'observed-s3-secret-9d2a7c' };

let server: ObservedServer;
beforeAll(async () => {
  const credentials = process.env.TEST_STACK === 'production' ? {} : CREDENTIALS;
  server = await startObservedServer({ ADMIN_TOKEN, THUMBNAIL_SIZES: '150,300', THUMBNAIL_ATTEMPTS: '2', ...credentials });
});
afterAll(() => server?.close());

const accessLine = (requestId: string) => (line: Record<string, unknown>) => line.requestId === requestId && line.msg === 'request finished';

async function upload(bytes: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), 'photo.jpg');
  return fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'POST', body: form, headers });
}

async function scrape(): Promise<string> {
  const response = await fetch(`${server.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe('request logs', () => {
  it('echoes a sane X-Request-Id and tags every line of the request with it, the access line included', async () => {
    const requestId = `req-${randomUUID()}`;
    const response = await fetch(`${server.baseUrl}/api/v1/images`, { headers: { 'X-Request-Id': requestId, 'X-Test-Log': '1' } });
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const access = await waitForLine(server.logs, accessLine(requestId));
    expect(access).toMatchObject({ method: 'GET', route: '/api/v1/images', path: '/api/v1/images', status: 200, level: 30 });
    expect(access.durationMs).toEqual(expect.any(Number));
    expect(access.bytes).toBeGreaterThan(0);
    const inside = server.logs.lines().find((line) => line.msg === 'inside a request' && line.requestId === requestId);
    expect(inside).toMatchObject({ note: 'from a use case' });
  });

  it('replaces an insane X-Request-Id with a fresh UUID', async () => {
    for (const offered of ['a'.repeat(65), 'has space', 'quote"', '']) {
      const response = await fetch(`${server.baseUrl}/healthz`, { headers: { 'X-Request-Id': offered } });
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await response.arrayBuffer();
    }
  });

  it('logs the matched route and the path, never the query string', async () => {
    const requestId = randomUUID();
    const response = await fetch(`${server.baseUrl}/api/v1/images?limit=5&cursor=cursor-value-not-for-logs`, { headers: { 'X-Request-Id': requestId } });
    expect(response.status).toBe(400);
    await response.arrayBuffer();
    const access = await waitForLine(server.logs, accessLine(requestId));
    expect(access).toMatchObject({ method: 'GET', route: '/api/v1/images', path: '/api/v1/images', status: 400 });
    expect(server.logs.text).not.toContain('cursor-value-not-for-logs');
  });

  it('runs each job in a context of its own: job id, task type and attempt on its lines, no request id', async () => {
    const response = await upload(await samples.jpeg(333, 222));
    const { id } = (await response.json()) as { id: string };
    await waitForThumbnail(server.baseUrl, id);
    const jobId = `thumbnails:${id}`;
    const finished = await waitForLine(server.logs, (line) => line.jobId === jobId && line.msg === 'job finished');
    expect(finished).toMatchObject({ taskType: 'generate-thumbnails', attempt: 1 });
    expect(finished.durationMs).toBeGreaterThanOrEqual(0);
    const jobLines = server.logs.lines().filter((line) => line.jobId === jobId);
    expect(jobLines.map((line) => line.msg)).toEqual(['job started', 'job finished']);
    for (const line of jobLines) expect(line).not.toHaveProperty('requestId');
  });
});

describe('secrets in logs', () => {
  it('a whole request cycle and a configuration dump leave no delete token, admin token or S3 credential in the logs', async () => {
    const created = await upload(await samples.jpeg(301, 201));
    expect(created.status).toBe(201);
    const { id, delete_token: deleteToken } = (await created.json()) as { id: string; delete_token: string };
    await waitForThumbnail(server.baseUrl, id);

    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await fetch(`${server.baseUrl}/api/v1/jobs/failed`, { headers: admin })).status).toBe(200);
    const wrongAdmin = await fetch(`${server.baseUrl}/api/v1/jobs/failed`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}x` } });
    expect(wrongAdmin.status).toBe(401);
    const wrongDelete = await fetch(`${server.baseUrl}/api/v1/images/${id}`, { method: 'DELETE', headers: { 'X-Delete-Token': `${deleteToken}x` } });
    expect(wrongDelete.status).toBe(403);
    const requestId = randomUUID();
    const deleted = await fetch(`${server.baseUrl}/api/v1/images/${id}`, { method: 'DELETE', headers: { 'X-Delete-Token': deleteToken, 'X-Request-Id': requestId } });
    expect(deleted.status).toBe(204);
    server.logger.info({ config: server.config }, 'configuration');
    await waitForLine(server.logs, accessLine(requestId));

    const { text } = server.logs;
    const secrets = [deleteToken, ADMIN_TOKEN, server.config.S3_SECRET_KEY, server.config.S3_ACCESS_KEY];
    expect(secrets.every(Boolean)).toBe(true);
    for (const secret of secrets) expect(text).not.toContain(secret!);
    const dump = server.logs.lines().find((line) => line.msg === 'configuration');
    expect(dump?.config).toMatchObject({ S3_SECRET_KEY: '[redacted]', ADMIN_TOKEN: '[redacted]', THUMBNAIL_SIZES: [150, 300] });
    expect(server.logs.lines().filter((line) => line.msg === 'request finished').length).toBeGreaterThanOrEqual(5);
  });
});

describe('/metrics', () => {
  it('counts uploads by result, with their latency', async () => {
    const key = randomUUID();
    const bytes = await samples.jpeg(402, 302);
    expect((await upload(bytes, { 'Idempotency-Key': key })).status).toBe(201);
    expect((await upload(bytes, { 'Idempotency-Key': key })).headers.get('idempotent-replayed')).toBe('true');
    expect((await uploadFile(server.baseUrl, samples.text('not an image'))).status).toBe(415);
    expect((await uploadFile(server.baseUrl, new Uint8Array())).status).toBe(400);

    const text = await scrape();
    expect(sample(text, 'imagehost_uploads_total', { result: 'created' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'imagehost_uploads_total', { result: 'replayed' })).toBe(1);
    expect(sample(text, 'imagehost_uploads_total', { result: 'UNSUPPORTED_MEDIA_TYPE' })).toBe(1);
    expect(sample(text, 'imagehost_uploads_total', { result: 'EMPTY_FILE' })).toBe(1);
    const ok = sample(text, 'imagehost_upload_duration_seconds_count', { outcome: 'ok' });
    const created = sample(text, 'imagehost_uploads_total', { result: 'created' })!;
    expect(ok).toBe(created + 1);
    expect(sample(text, 'imagehost_upload_duration_seconds_count', { outcome: 'error' })).toBe(2);
    expect(sample(text, 'imagehost_upload_duration_seconds_bucket', { outcome: 'error', le: '+Inf' })).toBe(2);
  });

  it('times renders by size set, counts renditions and jobs, and job failures by code', async () => {
    const good = (await (await upload(await samples.jpeg(503, 403))).json()) as { id: string };
    const corrupt = (await (await upload(samples.truncated(await samples.jpeg(640, 480), 0.4))).json()) as { id: string };
    expect(await waitForThumbnail(server.baseUrl, good.id)).toMatchObject({ thumbnail_status: 'ready' });
    expect(await waitForThumbnail(server.baseUrl, corrupt.id)).toMatchObject({ thumbnail_status: 'failed' });
    await waitForLine(server.logs, (line) => line.jobId === `thumbnails:${corrupt.id}` && line.msg === 'job failed for good');

    const text = await scrape();
    expect(sample(text, 'imagehost_render_duration_seconds_count', { sizes: '150,300' })).toBeGreaterThanOrEqual(1);
    const renders = sample(text, 'imagehost_render_duration_seconds_count', { sizes: '150,300' });
    expect(sample(text, 'imagehost_renditions_total', { size: '150' })).toBe(renders);
    expect(sample(text, 'imagehost_renditions_total', { size: '300' })).toBe(renders);
    expect(sample(text, 'imagehost_jobs_total', { result: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'imagehost_jobs_total', { result: 'failed' })).toBe(1);
    expect(sample(text, 'imagehost_job_failures_total', { code: 'INVALID_IMAGE' })).toBe(1);
  });

  it('shows the queue depth and the process metrics', async () => {
    const text = await scrape();
    for (const state of ['waiting', 'active', 'delayed']) {
      expect(sample(text, 'imagehost_queue_jobs', { state })).toEqual(expect.any(Number));
    }
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(sample(text, name), name).toBeGreaterThanOrEqual(0);
    }
  });

  it('logs no access line for successful scrapes and probes', async () => {
    const requestId = randomUUID();
    await (await fetch(`${server.baseUrl}/metrics`, { headers: { 'X-Request-Id': requestId } })).text();
    await (await fetch(`${server.baseUrl}/healthz`, { headers: { 'X-Request-Id': requestId } })).text();
    const marker = randomUUID();
    await (await fetch(`${server.baseUrl}/api/v1/images`, { headers: { 'X-Request-Id': marker } })).text();
    await waitForLine(server.logs, accessLine(marker));
    expect(server.logs.lines().filter((line) => line.requestId === requestId)).toEqual([]);
  });
});

describe('/metrics with a scheduler that is not running', () => {
  let idle: ObservedServer;
  beforeAll(async () => {
    idle = await startObservedServer({}, { worker: false, metricsToken: 'scrape-token-0123456789' });
  });
  afterAll(() => idle?.close());

  it('shows queued jobs waiting, and needs the metrics token when one is set', async () => {
    for (const width of [210, 211]) expect((await uploadFile(idle.baseUrl, await samples.jpeg(width, 100))).status).toBe(201);
    const refused = await fetch(`${idle.baseUrl}/metrics`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const response = await fetch(`${idle.baseUrl}/metrics`, { headers: { Authorization: 'Bearer scrape-token-0123456789' } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(sample(text, 'imagehost_queue_jobs', { state: 'waiting' })).toBe(2);
    expect(sample(text, 'imagehost_queue_jobs', { state: 'active' })).toBe(0);
    expect(idle.logs.text).not.toContain('scrape-token-0123456789');
  });
});
