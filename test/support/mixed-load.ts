import { readFileSync } from 'node:fs';
import { uploadFile } from './test-server.js';

/** An uploaded image the load may read and delete. */
export interface LiveImage {
  id: string;
  token: string;
  /** A delete of it was answered with an error: it may be gone or still there. */
  deleteFailed?: boolean;
  /** Which bytes of the pool it was uploaded from. */
  sample?: number;
}

/** A response with a 5xx status: which request, and the error code of its JSON body (if any). */
export interface ServerError {
  readonly request: string;
  readonly status: number;
  readonly code: unknown;
}

export interface LoadReport {
  readonly statuses: Record<number, number>;
  readonly uploaded: LiveImage[];
  readonly serverErrors: ServerError[];
  /** The slowest request, whatever its outcome. */
  readonly slowest: { request: string; ms: number };
}

export interface LoadOptions {
  /** Count a download cut off mid-body as status -1 instead of failing (see below). */
  readonly tolerateCutDownloads?: boolean;
  /** Once aborted, no new request starts (those under way finish); with it, `operations` may be Infinity. */
  readonly signal?: AbortSignal;
  /** Called for every response (status -1: cut download) with the time its request started. */
  readonly observe?: (status: number, startedAt: number) => void;
}

/**
 * Bounded mixed traffic on loopback: `operations` requests, `concurrency` at a time — uploads (from a
 * small pool, so identical bytes recur), metadata/file/thumbnail reads and deletes with the right token.
 * Returns every status seen, every 5xx with its error code, and the images still alive.
 */
export async function mixedLoad(
  baseUrl: string,
  pool: readonly Uint8Array[],
  operations: number,
  concurrency: number,
  alive: LiveImage[] = [],
  options: LoadOptions = {},
): Promise<LoadReport> {
  const statuses: Record<number, number> = {};
  const serverErrors: ServerError[] = [];
  // s3rver (unlike S3 and MinIO, which replace objects atomically and finish a GET already under
  // way) rewrites an object in place and deletes it under a download, which then stalls or is cut
  // off mid-body. Objects are content-addressed, so the load neither deletes an image being
  // downloaded nor uploads bytes while an image of the same bytes is downloaded, or the reverse.
  const underway = new Map<string, number>();
  const busy = (key: string) => (underway.get(key) ?? 0) > 0;
  const hold = (...keys: string[]) => {
    for (const key of keys) underway.set(key, (underway.get(key) ?? 0) + 1);
    return () => keys.forEach((key) => underway.set(key, underway.get(key)! - 1));
  };
  const skipped = () => (statuses[0] = (statuses[0] ?? 0) + 1);
  let next = 0;
  const slowest = { request: '', ms: 0 };
  const timed = (request: string, startedAt: number) => {
    const ms = Date.now() - startedAt;
    if (ms > slowest.ms) Object.assign(slowest, { request, ms });
  };
  const answered = async (request: string, startedAt: number, response: Response): Promise<unknown> => {
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    options.observe?.(response.status, startedAt);
    timed(`${request} ${response.status}`, startedAt);
    const json = response.headers.get('content-type')?.includes('json') ?? false;
    const body: unknown = json ? await response.json() : await response.arrayBuffer();
    if (response.status >= 500) serverErrors.push({ request, status: response.status, code: (body as { error?: { code?: unknown } }).error?.code });
    return body;
  };
  const one = async (n: number): Promise<void> => {
    const roll = n % 10;
    const target = alive.length > 0 ? alive[n % alive.length] : undefined;
    const startedAt = Date.now();
    if (roll < 5 || !target) {
      const sample = n % pool.length;
      if (busy(`read:${sample}`)) return void skipped();
      const release = hold(`write:${sample}`);
      try {
        const body = (await answered('POST /upload', startedAt, await uploadFile(baseUrl, pool[sample]!))) as { id?: string; delete_token?: string };
        if (body.id && body.delete_token) alive.push({ id: body.id, token: body.delete_token, sample });
      } finally {
        release();
      }
    } else if (roll < 8) {
      const path = ['', '/file', '/thumbnail'][n % 3]!;
      if (busy(`write:${target.sample}`)) return void skipped();
      const release = hold(`read:${target.sample}`, `image:${target.id}`);
      try {
        await answered(`GET /images/:id${path}`, startedAt, await fetch(`${baseUrl}/api/v1/images/${target.id}${path}`));
      } catch (error) {
        // A download cut off by an s3rver stop (or an object rewritten under it by a thumbnail job).
        // Counted as -1, never as a 5xx.
        if (!options.tolerateCutDownloads) throw error;
        statuses[-1] = (statuses[-1] ?? 0) + 1;
        options.observe?.(-1, startedAt);
        timed(`GET /images/:id${path} cut`, startedAt);
      } finally {
        release();
      }
    } else if (busy(`image:${target.id}`)) {
      skipped();
    } else {
      alive.splice(alive.indexOf(target), 1);
      const response = await fetch(`${baseUrl}/api/v1/images/${target.id}`, { method: 'DELETE', headers: { 'X-Delete-Token': target.token } });
      await answered('DELETE /images/:id', startedAt, response);
      // Not deleted for sure: it must still settle, unless it is gone.
      if (response.status !== 204 && response.status !== 404) alive.push({ ...target, deleteFailed: true });
    }
  };
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < operations && !options.signal?.aborted) await one(next++);
  });
  await Promise.all(workers);
  return { statuses, uploaded: alive, serverErrors, slowest };
}

/** A process's memory in MiB, from /proc (Linux): resident now (VmRSS) and its peak so far (VmHWM). */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024);
  return { rss: mib('VmRSS'), peak: mib('VmHWM') };
}

/**
 * Waits until every image has settled: ready, or failed with a reason. Returns the failed ones.
 * An image whose delete failed (LiveImage.deleteFailed) may also be gone.
 */
export async function settle(baseUrl: string, images: readonly LiveImage[], timeoutMs = 60_000): Promise<{ id: string; error: unknown }[]> {
  const deadline = Date.now() + timeoutMs;
  const failed: { id: string; error: unknown }[] = [];
  for (const { id, deleteFailed } of images) {
    for (;;) {
      const response = await fetch(`${baseUrl}/api/v1/images/${id}`);
      const body = (await response.json()) as { thumbnail_status?: string; thumbnail_error?: unknown };
      if (response.status === 404 && deleteFailed) break;
      if (body.thumbnail_status === 'ready') break;
      if (body.thumbnail_status === 'failed') {
        failed.push({ id, error: body.thumbnail_error });
        break;
      }
      if (Date.now() > deadline) throw new Error(`image ${id} still ${String(body.thumbnail_status)} (HTTP ${response.status}) after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return failed;
}

/** Polls /readyz until it answers 200. */
export async function waitReady(baseUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${baseUrl} not ready after ${timeoutMs} ms`);
}
