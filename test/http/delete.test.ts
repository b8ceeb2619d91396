import { afterAll, beforeAll, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ THUMBNAIL_SIZES: '150,300' });
});
afterAll(() => server.close());

async function uploaded(): Promise<{ id: string; delete_token: string }> {
  const response = await uploadFile(server.baseUrl, await samples.jpeg(640, 480));
  return (await response.json()) as { id: string; delete_token: string };
}

function del(id: string, token?: string): Promise<Response> {
  return fetch(`${server.baseUrl}/api/v1/images/${id}`, { method: 'DELETE', headers: token === undefined ? {} : { 'X-Delete-Token': token } });
}

it('needs the delete token: missing or wrong is 403 and nothing is lost', async () => {
  const { id } = await uploaded();
  for (const token of [undefined, '', 'wrong', (await uploaded()).delete_token]) {
    const response = await del(id, token);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_DELETE_TOKEN');
  }
  expect((await fetch(`${server.baseUrl}/api/v1/images/${id}/file`)).status).toBe(200);
});

it('removes the row, the original and every thumbnail', async () => {
  const { id, delete_token } = await uploaded();
  await waitForThumbnail(server.baseUrl, id);
  expect((await server.storedKeys()).filter((key) => key.includes(id))).toHaveLength(3);
  const response = await del(id, delete_token);
  expect(response.status).toBe(204);
  for (const suffix of ['', '/file', '/thumbnail', '/thumbnail?size=150']) {
    expect((await fetch(`${server.baseUrl}/api/v1/images/${id}${suffix}`)).status).toBe(404);
  }
  expect((await server.storedKeys()).filter((key) => key.includes(id))).toEqual([]);
});

it('answers 404 for an unknown id and for the loser of two concurrent deletes', async () => {
  expect((await del('AAAAAAAAAAAAAAAAAAAAAA', 'x')).status).toBe(404);
  const { id, delete_token } = await uploaded();
  const statuses = (await Promise.all([del(id, delete_token), del(id, delete_token), del(id, delete_token)])).map((r) => r.status);
  expect(statuses.sort()).toEqual([204, 404, 404]);
});
