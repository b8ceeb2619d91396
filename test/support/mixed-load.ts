import { readFileSync } from 'node:fs';
import { uploadFile } from './test-server.js';

export interface LoadReport {
  readonly statuses: Record<number, number>;
  readonly uploaded: { id: string; token: string }[];
}

interface Live {
  id: string;
  token: string;
}

/**
 * Bounded mixed traffic on loopback: `operations` requests, `concurrency` at a time — uploads (from a
 * small pool, so identical bytes recur), metadata/file/thumbnail reads and deletes with the right token.
 * Returns every status seen and the images still alive.
 */
export async function mixedLoad(
  baseUrl: string,
  pool: readonly Uint8Array[],
  operations: number,
  concurrency: number,
  alive: Live[] = [],
  options: { tolerateCutDownloads?: boolean } = {},
): Promise<LoadReport> {
  const statuses: Record<number, number> = {};
  // Images being downloaded are not deleted under the download: s3rver (unlike S3 and MinIO, which
  // finish a GET already under way) cuts such a download off mid-body.
  const reading = new Map<string, number>();
  let next = 0;
  const count = (status: number) => (statuses[status] = (statuses[status] ?? 0) + 1);
  const one = async (n: number): Promise<void> => {
    const roll = n % 10;
    const target = alive.length > 0 ? alive[n % alive.length] : undefined;
    if (roll < 5 || !target) {
      const response = await uploadFile(baseUrl, pool[n % pool.length]!);
      count(response.status);
      const body = (await response.json()) as { id?: string; delete_token?: string };
      if (body.id && body.delete_token) alive.push({ id: body.id, token: body.delete_token });
    } else if (roll < 8) {
      const path = ['', '/file', '/thumbnail'][n % 3]!;
      reading.set(target.id, (reading.get(target.id) ?? 0) + 1);
      try {
        const response = await fetch(`${baseUrl}/api/v1/images/${target.id}${path}`);
        count(response.status);
        await response.arrayBuffer();
      } catch (error) {
        // s3rver rewrites an object in place, so a download under a re-upload of the same bytes is
        // cut off (S3 and MinIO replace objects atomically). Counted as -1, never as a 5xx.
        if (!options.tolerateCutDownloads) throw error;
        count(-1);
      } finally {
        reading.set(target.id, reading.get(target.id)! - 1);
      }
    } else if (reading.get(target.id)) {
      count(0); // skipped: a download of it is under way
    } else {
      alive.splice(alive.indexOf(target), 1);
      const response = await fetch(`${baseUrl}/api/v1/images/${target.id}`, { method: 'DELETE', headers: { 'X-Delete-Token': target.token } });
      count(response.status);
      await response.arrayBuffer();
    }
  };
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < operations) await one(next++);
  });
  await Promise.all(workers);
  return { statuses, uploaded: alive };
}

/** Resident memory of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

/** Waits until every image has settled: ready, or failed with a reason. Returns the failed ones. */
export async function settle(baseUrl: string, ids: readonly string[], timeoutMs = 60_000): Promise<{ id: string; error: unknown }[]> {
  const deadline = Date.now() + timeoutMs;
  const failed: { id: string; error: unknown }[] = [];
  for (const id of ids) {
    for (;;) {
      const body = (await (await fetch(`${baseUrl}/api/v1/images/${id}`)).json()) as { thumbnail_status?: string; thumbnail_error?: unknown };
      if (body.thumbnail_status === 'ready') break;
      if (body.thumbnail_status === 'failed') {
        failed.push({ id, error: body.thumbnail_error });
        break;
      }
      if (Date.now() > deadline) throw new Error(`image ${id} still ${String(body.thumbnail_status)} after ${timeoutMs} ms`);
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
