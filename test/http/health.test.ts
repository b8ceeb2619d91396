import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

it('/healthz says the process is alive', async () => {
  const response = await fetch(`${server.baseUrl}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

it('/readyz reports each dependency, and 503 naming the one that is down', async () => {
  const ready = await fetch(`${server.baseUrl}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', storage: 'ok', queue: 'ok' } });

  await server.host.database.close();
  const down = await fetch(`${server.baseUrl}/readyz`);
  expect(down.status).toBe(503);
  expect(await down.json()).toEqual({ status: 'unavailable', checks: { database: 'unavailable', storage: 'ok', queue: 'ok' } });
  expect(server.logger.entries.some((e) => e.message === 'readiness check failed' && e.fields.dependency === 'database')).toBe(true);
});
