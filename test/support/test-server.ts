import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'minio';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';
import { loadConfig } from '../../src/config.js';
import { createImagehost, type Imagehost } from '../../src/imagehost.js';
import { recordResponses, type ResponseRecorder } from './openapi-recorder.js';
import { startS3Server } from './s3-server.js';
import { scratchPostgres } from './scratch-databases.js';

export interface TestServer {
  readonly baseUrl: string;
  readonly host: Imagehost;
  readonly logger: MemoryLogger;
  /** Checks every response against the OpenAPI document; close() throws when one departed from it. */
  readonly responses: ResponseRecorder;
  /** Every key in the object store right now. */
  storedKeys(): Promise<string[]>;
  close(): Promise<void>;
}

interface Stack {
  readonly env: Record<string, string>;
  storedKeys(): Promise<string[]>;
  close(): Promise<void>;
}

/** Embedded defaults: libsql and objects in a fresh temp folder. */
async function embeddedStack(): Promise<Stack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-http-'));
  const objects = path.join(dataDir, 'objects');
  return {
    env: { DATA_DIR: dataDir },
    async storedKeys() {
      const entries = await readdir(objects, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isFile()).map((e) => path.relative(objects, path.join(e.parentPath, e.name)));
    },
    close: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** The production stack: a scratch PostgreSQL database and an S3 server (s3rver) of its own. */
async function productionStack(): Promise<Stack> {
  const base = await embeddedStack();
  const database = await scratchPostgres();
  const s3 = await startS3Server();
  const bucket = 'imagehost-test';
  const client = new Client({ endPoint: '127.0.0.1', port: Number(new URL(s3.url).port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true });
  return {
    env: {
      ...base.env,
      DATABASE_URL: database.url,
      STORAGE: 'minio',
      S3_ENDPOINT: s3.url,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: bucket,
    },
    async storedKeys() {
      const keys: string[] = [];
      for await (const item of client.listObjectsV2(bucket, '', true)) keys.push((item as { name: string }).name);
      return keys;
    },
    async close() {
      await s3.close();
      await database.drop();
      await base.close();
    },
  };
}

/**
 * The real service (same factory as `npm start`) on a real socket. The stack is embedded defaults,
 * or PostgreSQL + S3 when TEST_STACK=production (the `production-stack` test project sets it).
 * With `worker: false` thumbnails stay pending.
 */
export async function startTestServer(env: Record<string, string> = {}, options: { worker?: boolean } = {}): Promise<TestServer> {
  const stack = process.env.TEST_STACK === 'production' ? await productionStack() : await embeddedStack();
  const logger = new MemoryLogger();
  const host = await createImagehost(loadConfig({ ...stack.env, THUMBNAIL_BACKOFF_MS: '20', ...env }), logger);
  if (process.env.TEST_STACK === 'production' && host.database.dialect !== 'postgresql') {
    throw new Error('TEST_STACK=production must run on PostgreSQL');
  }
  if (options.worker !== false) await host.startWorker();
  const responses = recordResponses(host.app);
  const server = host.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    host,
    logger,
    responses,
    storedKeys: () => stack.storedKeys(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
      await stack.close();
      // Fails the test file's afterAll (or the test that closes its own server), naming each response.
      responses.assertConforming();
    },
  };
}

/** POSTs one file as multipart/form-data in the field `file` (or `field`). */
export function uploadFile(
  baseUrl: string,
  bytes: Uint8Array,
  options: { filename?: string; type?: string; field?: string } = {},
): Promise<Response> {
  const form = new FormData();
  form.append(options.field ?? 'file', new Blob([bytes], { type: options.type ?? 'application/octet-stream' }), options.filename ?? 'upload.bin');
  return fetch(`${baseUrl}/api/v1/images/upload`, { method: 'POST', body: form });
}

/** Polls the metadata until the thumbnail work has settled (ready or failed). */
export async function waitForThumbnail(baseUrl: string, id: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${baseUrl}/api/v1/images/${id}`)).json()) as Record<string, unknown>;
    if (body.thumbnail_status === 'ready' || body.thumbnail_status === 'failed') return body;
    if (Date.now() > deadline) throw new Error(`thumbnail of ${id} still ${String(body.thumbnail_status)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A JSON answer's status and body. */
export async function bodyOf(response: Response): Promise<[number, Record<string, unknown>]> {
  return [response.status, (await response.json()) as Record<string, unknown>];
}
