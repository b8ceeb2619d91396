import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ ADMIN_TOKEN, THUMBNAIL_ATTEMPTS: '2' });
});
afterAll(() => server.close());

async function upload(bytes: Uint8Array): Promise<string> {
  const response = await uploadFile(server.baseUrl, bytes);
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

describe('jobs', () => {
  it('GET /api/v1/jobs counts jobs by state, without credentials', async () => {
    await waitForThumbnail(server.baseUrl, await upload(await samples.jpeg(320, 240)));
    const response = await fetch(`${server.baseUrl}/api/v1/jobs`);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as Record<string, number>;
    expect(Object.keys(stats).sort()).toEqual(['active', 'completed', 'delayed', 'failed', 'waiting']);
    expect(stats.completed).toBeGreaterThanOrEqual(1);
  });

  it('a corrupt image ends failed with its reason, shows in the failed list, and can be retried', async () => {
    // The header is intact (so the upload is accepted) but the scan data is cut: decoding fails for good.
    const id = await upload(samples.truncated(await samples.jpeg(640, 480), 0.4));
    expect(await waitForThumbnail(server.baseUrl, id)).toMatchObject({
      thumbnail_status: 'failed',
      thumbnail_error: 'INVALID_IMAGE',
      thumbnail_attempts: 1,
      thumbnail_next_retry_at: null,
    });
    const original = await fetch(`${server.baseUrl}/api/v1/images/${id}/file`);
    expect(original.status).toBe(200);
    await original.arrayBuffer();

    const failed = (await (await fetch(`${server.baseUrl}/api/v1/jobs/failed`, { headers: admin })).json()) as {
      items: { image_id: string; error: string }[];
    };
    expect(failed.items).toContainEqual(expect.objectContaining({ image_id: id, error: 'INVALID_IMAGE' }));

    const retried = await fetch(`${server.baseUrl}/api/v1/images/${id}/thumbnails/retry`, { method: 'POST', headers: admin });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ id, thumbnail_status: 'pending', thumbnail_attempts: 0 });
    expect(await waitForThumbnail(server.baseUrl, id)).toMatchObject({ thumbnail_status: 'failed', thumbnail_error: 'INVALID_IMAGE' });

    const bulk = await fetch(`${server.baseUrl}/api/v1/jobs/failed/retry`, { method: 'POST', headers: admin });
    expect(bulk.status).toBe(202);
    expect(((await bulk.json()) as { queued: number }).queued).toBeGreaterThanOrEqual(1);
  });
});

describe('admin routes', () => {
  it.each([
    ['GET', '/api/v1/jobs/failed'],
    ['POST', '/api/v1/jobs/failed/retry'],
    ['POST', '/api/v1/images/AAAAAAAAAAAAAAAAAAAAAA/thumbnails/retry'],
  ])('%s %s needs the admin token', async (method, path) => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-wrong-token' }, { Authorization: ADMIN_TOKEN }] as Record<string, string>[]) {
      const response = await fetch(`${server.baseUrl}${path}`, { method, headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('do not exist when ADMIN_TOKEN is unset', async () => {
    const plain = await startTestServer();
    try {
      const { id } = (await (await uploadFile(plain.baseUrl, await samples.jpeg(40, 30))).json()) as { id: string };
      const routes = [
        ['GET', '/api/v1/jobs/failed'],
        ['POST', '/api/v1/jobs/failed/retry'],
        ['POST', `/api/v1/images/${id}/thumbnails/retry`],
        ['GET', '/admin/queues'],
      ] as const;
      for (const [method, path] of routes) {
        const response = await fetch(`${plain.baseUrl}${path}`, { method, headers: admin });
        expect(response.status).toBe(404);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      }
    } finally {
      await plain.close();
    }
  });
});
