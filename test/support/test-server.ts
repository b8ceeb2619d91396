import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';
import { loadConfig } from '../../src/config.js';
import { createImagehost, type Imagehost } from '../../src/imagehost.js';

export interface TestServer {
  readonly baseUrl: string;
  readonly host: Imagehost;
  readonly logger: MemoryLogger;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * The real service (same factory as `npm start`) on a real socket, on embedded defaults in a fresh
 * temp folder unless `env` says otherwise. With `worker: false` thumbnails stay pending.
 */
export async function startTestServer(env: Record<string, string> = {}, options: { worker?: boolean } = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-http-'));
  const logger = new MemoryLogger();
  const host = await createImagehost(loadConfig({ DATA_DIR: dataDir, THUMBNAIL_BACKOFF_MS: '20', ...env }), logger);
  if (options.worker !== false) await host.startWorker();
  const server = host.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    host,
    logger,
    dataDir,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
      await rm(dataDir, { recursive: true, force: true });
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
