import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteLimitsConfigurable } from '../support/delete-limits-config.js';
import { serviceReachable, TEST_REDIS_URL } from '../support/real-services.js';
import * as samples from '../support/sample-images.js';
import { startTestServer, uploadFile, type TestServer } from '../support/test-server.js';

const WINDOW_SECONDS = 900;
const redisReachable = await serviceReachable('Redis', TEST_REDIS_URL);

let distinct = 0;
async function uploaded(on: TestServer): Promise<{ id: string; delete_token: string }> {
  const response = await uploadFile(on.baseUrl, await samples.png(20 + distinct++, 10));
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; delete_token: string };
}

function del(on: TestServer, id: string, token: string | undefined, forwardedFor?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (forwardedFor !== undefined) headers['X-Forwarded-For'] = forwardedFor;
  if (token !== undefined) headers['X-Delete-Token'] = token;
  return fetch(`${on.baseUrl}/api/v1/images/${id}`, { method: 'DELETE', headers });
}

async function expectStatus(response: Response, status: number, code?: string): Promise<void> {
  expect(response.status).toBe(status);
  if (code) expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
  else await response.arrayBuffer();
}

async function expectTooMany(response: Response): Promise<void> {
  await expectStatus(response, 429, 'TOO_MANY_ATTEMPTS');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
}

async function stillServed(on: TestServer, id: string): Promise<void> {
  await expectStatus(await fetch(`${on.baseUrl}/api/v1/images/${id}/file`), 200);
}

describe('the shipped rules: 10 wrong tokens per image, 30 per client, in 15 minutes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { worker: false });
  });
  afterAll(() => server.close());

  // These two send 19 wrong tokens from this client together: under its limit of 30.
  it('a correct token after 9 wrong ones still deletes', async () => {
    const { id, delete_token } = await uploaded(server);
    for (let i = 0; i < 9; i++) await expectStatus(await del(server, id, `wrong-${i}`), 403, 'INVALID_DELETE_TOKEN');
    await expectStatus(await del(server, id, delete_token), 204);
  });

  it('after 10 wrong ones every delete of that image is 429 with Retry-After, the right token too; other images are not affected', async () => {
    const { id, delete_token } = await uploaded(server);
    for (let i = 0; i < 10; i++) await expectStatus(await del(server, id, i % 3 === 0 ? undefined : `wrong-${i}`), 403, 'INVALID_DELETE_TOKEN');
    for (const token of [delete_token, 'wrong', undefined]) await expectTooMany(await del(server, id, token));
    await stillServed(server, id);
    const other = await uploaded(server);
    await expectStatus(await del(server, other.id, other.delete_token), 204);
  });

  it('after 30 wrong ones over several images, the client gets 429 even for its own image; forging X-Forwarded-For changes nothing', async () => {
    const fresh = await startTestServer({}, { worker: false });
    try {
      const targets = await Promise.all([0, 1, 2, 3].map(() => uploaded(fresh)));
      for (let i = 0; i < 30; i++) {
        // 30 spread over 4 images stays under the per-image limit; the forged header is ignored (no trusted proxy).
        await expectStatus(await del(fresh, targets[i % 4]!.id, `w${i}`, `192.0.2.${i}`), 403, 'INVALID_DELETE_TOKEN');
      }
      const own = await uploaded(fresh);
      await expectTooMany(await del(fresh, own.id, own.delete_token, '198.51.100.77'));
      await stillServed(fresh, own.id);
    } finally {
      await fresh.close();
    }
  });
});

describe.skipIf(!deleteLimitsConfigurable)('configured: behind a trusted proxy (TRUST_PROXY_HOPS=1)', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Each test names its own clients in X-Forwarded-For, so their counts stay apart.
    server = await startTestServer({ TRUST_PROXY_HOPS: '1' }, { worker: false });
  });
  afterAll(() => server.close());

  it('the limit of one client leaves the others free', async () => {
    const targets = await Promise.all([0, 1, 2, 3].map(() => uploaded(server)));
    for (let i = 0; i < 30; i++) await expectStatus(await del(server, targets[i % 4]!.id, `w${i}`, '203.0.113.5'), 403, 'INVALID_DELETE_TOKEN');
    const own = await uploaded(server);
    await expectTooMany(await del(server, own.id, own.delete_token, '203.0.113.5'));
    await expectStatus(await del(server, own.id, own.delete_token, '203.0.113.6'), 204);
  });

  it('counts an IPv6 client by its /64, and trusts only the entry its proxy added to X-Forwarded-For', async () => {
    const targets = await Promise.all([0, 1, 2, 3].map(() => uploaded(server)));
    const own = await uploaded(server);
    // 30 wrong tokens, each with another forged left-most entry and another address of one /64.
    for (let i = 0; i < 30; i++) {
      const forwarded = `10.0.0.${i}, 2001:db8:aa:bb::${(i + 1).toString(16)}`;
      await expectStatus(await del(server, targets[i % 4]!.id, `w${i}`, forwarded), 403, 'INVALID_DELETE_TOKEN');
    }
    await expectTooMany(await del(server, own.id, own.delete_token, '2001:db8:aa:bb:ffff::1'));
    await expectStatus(await del(server, own.id, own.delete_token, '2001:db8:aa:bc::1'), 204);
  });

  it('takes its limits from DELETE_ATTEMPTS_PER_IMAGE and DELETE_ATTEMPTS_WINDOW_SECONDS', async () => {
    const strict = await startTestServer({ DELETE_ATTEMPTS_PER_IMAGE: '1', DELETE_ATTEMPTS_WINDOW_SECONDS: '60' }, { worker: false });
    try {
      const { id, delete_token } = await uploaded(strict);
      await expectStatus(await del(strict, id, 'wrong'), 403, 'INVALID_DELETE_TOKEN');
      const refused = await del(strict, id, delete_token);
      await expectStatus(refused, 429, 'TOO_MANY_ATTEMPTS');
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    } finally {
      await strict.close();
    }
  });
});

describe.skipIf(!deleteLimitsConfigurable || !redisReachable)('configured: with QUEUE=bullmq (API processes scaled out)', () => {
  it('counts in Redis: wrong tokens sent to two API processes add up', async () => {
    const queue = `imagehost-test-${randomUUID()}`;
    const env = { QUEUE: 'bullmq', REDIS_URL: TEST_REDIS_URL, QUEUE_NAME: queue, DELETE_ATTEMPTS_PER_CLIENT: '2' };
    const [a, b] = [await startTestServer(env, { worker: false }), await startTestServer(env, { worker: false })];
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const [onA, onB] = [await uploaded(a), await uploaded(b)];
      await expectStatus(await del(a, onA.id, 'wrong'), 403, 'INVALID_DELETE_TOKEN');
      await expectStatus(await del(b, onB.id, 'wrong'), 403, 'INVALID_DELETE_TOKEN');
      await expectTooMany(await del(a, onA.id, onA.delete_token));
      expect(await redis.keys(`${queue}:attempts:*`)).toHaveLength(3); // two images, one client
    } finally {
      const keys = await redis.keys(`${queue}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
