import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function upload(bytes: Uint8Array, key?: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), 'photo.jpg');
  return fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'POST', body: form, headers: key ? { 'Idempotency-Key': key } : {} });
}

it('a retried upload with the same Idempotency-Key gets the same image and delete token back', async () => {
  const bytes = await samples.jpeg(300, 200);
  const key = randomUUID();
  const first = await upload(bytes, key);
  const firstBody = (await first.json()) as { id: string; delete_token: string };
  const retry = await upload(bytes, key);
  expect(retry.status).toBe(201);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(await retry.json()).toMatchObject({ id: firstBody.id, delete_token: firstBody.delete_token });
  const other = (await (await upload(bytes, randomUUID())).json()) as { id: string };
  expect(other.id).not.toBe(firstBody.id);
});

it('refuses the same key for different bytes, and malformed keys', async () => {
  const key = randomUUID();
  expect((await upload(await samples.jpeg(301, 200), key)).status).toBe(201);
  const reused = await upload(await samples.jpeg(302, 200), key);
  expect(reused.status).toBe(422);
  expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  const malformed = await upload(await samples.jpeg(303, 200), 'short');
  expect(malformed.status).toBe(400);
});

it('of concurrent requests with one key, one uploads and the others replay it or are told to retry', async () => {
  const bytes = await samples.jpeg(304, 200);
  const key = randomUUID();
  const responses = await Promise.all([upload(bytes, key), upload(bytes, key), upload(bytes, key)]);
  const bodies = (await Promise.all(responses.map((r) => r.json()))) as { id?: string; error?: { code: string } }[];
  const ids = new Set(bodies.filter((b) => b.id).map((b) => b.id));
  expect(ids.size).toBe(1);
  for (const [i, response] of responses.entries()) {
    if (response.status !== 201) expect([response.status, bodies[i]?.error?.code]).toEqual([409, 'IDEMPOTENCY_KEY_IN_USE']);
  }
  const page = (await (await fetch(`${server.baseUrl}/api/v1/images?limit=100`)).json()) as { items: { id: string }[] };
  expect(page.items.filter((item) => ids.has(item.id))).toHaveLength(1);
});
