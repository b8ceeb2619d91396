import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceReachable, TEST_REDIS_URL } from '../support/real-services.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * Run in a fresh node process on dist/: wires imagehost from the environment, as `npm start` does, then
 * prints the CommonJS modules the process has loaded (the clients below are CommonJS packages, so they
 * show there even when imported from ES modules). ALSO_IMPORT imports one more package first.
 */
const SCRIPT = `
import { createRequire } from 'node:module';
import { createImagehost } from './dist/src/imagehost.js';
import { loadConfig } from './dist/src/config.js';
import { createPinoLogger } from './dist/src/adapters/pino/pino-logger.js';
const host = await createImagehost(loadConfig(), createPinoLogger('silent'));
if (process.env.ALSO_IMPORT) await import(process.env.ALSO_IMPORT);
const loaded = Object.keys(createRequire(import.meta.url).cache);
await host.close();
console.log(JSON.stringify(loaded));
`;

/** The clients of the scaled-out stack: BullMQ, Redis, the queue dashboard (bull-board), PostgreSQL. */
const CLIENTS = ['bullmq', 'ioredis', '@bull-board/api', 'pg'];
const redisUp = await serviceReachable('Redis', TEST_REDIS_URL);
/** This process's environment without the settings that pick adapters: each case names its own. */
const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['QUEUE', 'STORAGE', 'DATABASE_URL'].includes(key)));

async function clientsLoaded(env: Record<string, string>): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', SCRIPT], {
    cwd: ROOT,
    env: { ...inherited, LOG_LEVEL: 'silent', DEPENDENCY_TIMEOUT_SECONDS: '5', ...env },
  });
  const files = JSON.parse(stdout) as string[];
  return CLIENTS.filter((name) => files.some((file) => file.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`)));
}

describe('the composition root loads only the adapters it is configured with', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-loading-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('on the embedded defaults, none of the scaled-out stack’s clients', async () => {
    expect(await clientsLoaded({ DATA_DIR: dataDir })).toEqual([]);
  });

  it('sees a client that is loaded (the check above can fail)', async () => {
    expect(await clientsLoaded({ DATA_DIR: dataDir, ALSO_IMPORT: 'bullmq' })).toEqual(['bullmq']);
  });

  it.runIf(redisUp)('with QUEUE=bullmq, BullMQ and Redis; not the dashboard until it is opened, nor PostgreSQL', async () => {
    const env = { DATA_DIR: dataDir, QUEUE: 'bullmq', REDIS_URL: TEST_REDIS_URL, QUEUE_NAME: `loading-${process.pid}` };
    expect(await clientsLoaded(env)).toEqual(['bullmq', 'ioredis']);
  });
});
