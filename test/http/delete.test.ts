import { afterAll, beforeAll, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ THUMBNAIL_SIZES: '150,300' });
});
afterAll(() => server.close());

let distinct = 0;

/** Uploads `bytes`, or an image no other test uploads (identical bytes would share their objects). */
async function uploaded(bytes?: Uint8Array): Promise<{ id: string; delete_token: string; checksum_sha256: string }> {
  const response = await uploadFile(server.baseUrl, bytes ?? (await samples.jpeg(640 + distinct++, 480)));
  return (await response.json()) as { id: string; delete_token: string; checksum_sha256: string };
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
  const { id, delete_token, checksum_sha256 } = await uploaded();
  await waitForThumbnail(server.baseUrl, id);
  const owned = async () => (await server.storedKeys()).filter((key) => key.includes(checksum_sha256));
  expect(await owned()).toHaveLength(3);
  const response = await del(id, delete_token);
  expect(response.status).toBe(204);
  for (const suffix of ['', '/file', '/thumbnail', '/thumbnail?size=150']) {
    expect((await fetch(`${server.baseUrl}/api/v1/images/${id}${suffix}`)).status).toBe(404);
  }
  expect(await owned()).toEqual([]);
});

it('answers 404 for an unknown id and for the loser of two concurrent deletes', async () => {
  expect((await del('AAAAAAAAAAAAAAAAAAAAAA', 'x')).status).toBe(404);
  const { id, delete_token } = await uploaded();
  const statuses = (await Promise.all([del(id, delete_token), del(id, delete_token), del(id, delete_token)])).map((r) => r.status);
  expect(statuses.sort()).toEqual([204, 404, 404]);
});

it('keeps shared objects while another upload of the same bytes uses them', async () => {
  const bytes = await samples.jpeg(500, 400);
  const [a, b] = [await uploaded(bytes), await uploaded(bytes)];
  expect(a.checksum_sha256).toBe(b.checksum_sha256);
  await waitForThumbnail(server.baseUrl, a.id);
  await waitForThumbnail(server.baseUrl, b.id);
  expect((await del(a.id, a.delete_token)).status).toBe(204);
  for (const suffix of ['/file', '/thumbnail', '/thumbnail?size=150']) {
    const response = await fetch(`${server.baseUrl}/api/v1/images/${b.id}${suffix}`);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }
  expect((await del(b.id, b.delete_token)).status).toBe(204);
  expect((await server.storedKeys()).filter((key) => key.includes(a.checksum_sha256))).toEqual([]);
});
