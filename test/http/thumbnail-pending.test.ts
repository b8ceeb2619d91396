import { afterAll, beforeAll, expect, it } from 'vitest';
import { TaskScheduler } from '../../src/ports/task-scheduler.js';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { worker: false });
});
afterAll(() => server.close());

it('answers 404 with Retry-After and no-store while the thumbnail is pending', async () => {
  const { id } = (await (await uploadFile(server.baseUrl, await samples.jpeg(400, 300))).json()) as { id: string };
  const response = await fetch(`${server.baseUrl}/api/v1/images/${id}/thumbnail`);
  expect(response.status).toBe(404);
  expect(response.headers.get('retry-after')).toBe('2');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(await response.json()).toEqual({ error: { code: 'THUMBNAIL_NOT_READY', message: expect.stringContaining('pending') as string } });
  expect(await server.host.container.get<TaskScheduler>(TaskScheduler).stats()).toMatchObject({ waiting: 1 });
});

it('rejects a thumbnail size that is not configured with 400', async () => {
  const { id } = (await (await uploadFile(server.baseUrl, await samples.jpeg(400, 300))).json()) as { id: string };
  for (const size of ['299', 'abc', '-1', '1e3']) {
    const response = await fetch(`${server.baseUrl}/api/v1/images/${id}/thumbnail?size=${size}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_PARAMETER');
  }
});
