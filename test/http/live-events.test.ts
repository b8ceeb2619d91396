import { afterAll, beforeAll, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { readEvents } from '../support/sse.js';
import { startTestServer, uploadFile, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { worker: false });
});
afterAll(() => server.close());

it('streams an image going from processing to ready, and new images on the all-images stream', async () => {
  const all = await fetch(`${server.baseUrl}/api/v1/events`);
  expect(all.headers.get('content-type')).toContain('text/event-stream');
  const { id } = (await (await uploadFile(server.baseUrl, await samples.jpeg(400, 300))).json()) as { id: string };
  const one = await fetch(`${server.baseUrl}/api/v1/images/${id}/events`);
  expect(one.status).toBe(200);

  await server.host.startWorker();
  const seen = await readEvents(one, (events) => events.some((e) => e.data.status === 'ready'));
  expect(seen.map((e) => [e.event, e.data.image_id, e.data.status])).toEqual([
    ['thumbnails.updated', id, 'processing'],
    ['thumbnails.updated', id, 'ready'],
  ]);
  const everything = await readEvents(all, (events) => events.some((e) => e.data.status === 'ready'));
  expect(everything[0]).toEqual({ event: 'image.created', data: expect.objectContaining({ type: 'image.created', image_id: id }) as unknown });
});

it('answers 404 JSON for the events of an unknown image', async () => {
  const response = await fetch(`${server.baseUrl}/api/v1/images/AAAAAAAAAAAAAAAAAAAAAA/events`);
  expect(response.status).toBe(404);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('IMAGE_NOT_FOUND');
});
