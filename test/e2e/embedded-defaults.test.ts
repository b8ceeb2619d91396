import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { uploadFile, waitForThumbnail } from '../support/test-server.js';

let service: ServiceProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-e2e-'));
  service = await startService({ DATA_DIR: dataDir });
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it('runs on embedded defaults: upload answers pending at once, the thumbnail follows', async () => {
  const photo = await samples.jpeg(2000, 1500, { orientation: 6 });
  const response = await uploadFile(service.baseUrl, photo, { filename: 'photo.jpg', type: 'image/jpeg' });
  expect(response.status).toBe(201);
  const uploaded = (await response.json()) as { id: string; thumbnail_status: string; width: number; height: number };
  expect(uploaded).toMatchObject({ thumbnail_status: 'pending', width: 1500, height: 2000 });

  expect(await waitForThumbnail(service.baseUrl, uploaded.id)).toMatchObject({ thumbnail_status: 'ready', thumbnail_ready: true });
  const thumb = await fetch(`${service.baseUrl}/api/v1/images/${uploaded.id}/thumbnail`);
  expect(thumb.headers.get('content-type')).toBe('image/jpeg');
  const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
  expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(300);
  expect([meta.width, meta.height]).toEqual([225, 300]);
  expect(meta.exif).toBeUndefined();
});

it('keeps its data across a restart and shuts down cleanly on SIGTERM', async () => {
  const response = await uploadFile(service.baseUrl, await samples.png(120, 90), { filename: 'keep.png' });
  const { id } = (await response.json()) as { id: string };
  await waitForThumbnail(service.baseUrl, id);
  await service.stop(); // npm itself dies by the signal; the service behind it must drain and say so
  expect(service.lines.some((line) => line.includes('stopped cleanly'))).toBe(true);

  service = await startService({ DATA_DIR: dataDir }, ['node', 'dist/src/main.js']);
  const again = await fetch(`${service.baseUrl}/api/v1/images/${id}`);
  expect(again.status).toBe(200);
  expect(await again.json()).toMatchObject({ id, thumbnail_status: 'ready' });
  expect(await service.stop()).toBe(0);
});
