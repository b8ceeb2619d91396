import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { uploadFile, waitForThumbnail } from '../support/test-server.js';

/**
 * The embedded stack with the in-process queue, whose jobs live only in the process: one worker slot
 * and slow AVIF encoding, so uploads queue up, and a reconciler that looks every second for work
 * quiet for a second.
 */
let dataDir: string;
let env: Record<string, string>;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-restart-'));
  env = {
    DATA_DIR: dataDir,
    QUEUE: 'in-process',
    WORKER_CONCURRENCY: '1',
    THUMBNAIL_SIZES: '600',
    THUMBNAIL_FORMAT: 'avif',
    RECONCILE_INTERVAL_SECONDS: '1',
    RECONCILE_STALE_SECONDS: '1',
  };
});

afterAll(async () => {
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function kill(target: ServiceProcess): Promise<void> {
  const exited = once(target.child, 'exit');
  process.kill(-target.child.pid!, 'SIGKILL');
  await exited;
}

it('SIGKILL with thumbnails queued and in progress loses nothing: after a restart on the same DATA_DIR every image reaches ready', async () => {
  service = await startService(env, ['node', 'dist/src/main.js', 'serve']);
  // Distinct bytes (no shared renditions to adopt); the single worker needs about half a second for each.
  const photos = await Promise.all(Array.from({ length: 6 }, (_, i) => samples.jpeg(800 + i * 8, 600)));
  const ids = await Promise.all(
    photos.map(async (photo, i) => {
      const response = await uploadFile(service!.baseUrl, photo, { filename: `photo-${i}.jpg` });
      expect(response.status).toBe(201);
      return ((await response.json()) as { id: string }).id;
    }),
  );
  const before = await Promise.all(
    ids.map(async (id) => ((await (await fetch(`${service!.baseUrl}/api/v1/images/${id}`)).json()) as { thumbnail_status: string }).thumbnail_status),
  );
  await kill(service);
  // Only meaningful if the kill caught work still to do.
  expect(before.filter((status) => status !== 'ready').length).toBeGreaterThan(0);

  service = await startService(env, ['node', 'dist/src/main.js', 'serve']);
  for (const id of ids) {
    expect(await waitForThumbnail(service.baseUrl, id, 20_000)).toMatchObject({ id, thumbnail_status: 'ready', thumbnail_ready: true });
    const thumbnail = await fetch(`${service.baseUrl}/api/v1/images/${id}/thumbnail`);
    expect(thumbnail.status).toBe(200);
    await thumbnail.arrayBuffer();
  }
  expect(service.lines.some((line) => line.includes('rescheduled thumbnail work that had stalled'))).toBe(true);
  expect(await service.stop()).toBe(0);
  service = undefined;
}, 90_000);
