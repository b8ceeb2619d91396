import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { scratchLibsql, scratchPostgres } from '../support/scratch-databases.js';
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

async function run(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('node', ['dist/src/main.js', ...args], { env: { ...process.env, PORT: '0', DATA_DIR: dataDir, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('migrate', () => {
  it.each([
    ['libsql', () => scratchLibsql()],
    ['PostgreSQL', () => scratchPostgres()],
  ])('applies the migrations once on %s, then finds nothing to do', async (_name, scratch) => {
    const database = await scratch();
    try {
      const first = await run({ DATABASE_URL: database.url }, ['migrate']);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('applied 2 migration(s)');
      const second = await run({ DATABASE_URL: database.url }, ['migrate']);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('database is up to date');
    } finally {
      await database.drop();
    }
  });
});

describe('start-up failures', () => {
  it('stops with exit code 2 and one line per bad variable', async () => {
    const { code, stderr } = await run({ PORT: 'eighty', THUMBNAIL_FORMAT: 'bmp' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^imagehost: invalid configuration\n/);
    expect(stderr).toContain('PORT="eighty" is invalid');
    expect(stderr).toContain('THUMBNAIL_FORMAT="bmp" is invalid');
    expect(stderr).not.toContain('    at ');
  });

  it.each([
    ['database', { DATABASE_URL: 'postgres://imagehost@127.0.0.1:1/imagehost' }],
    ['storage', { STORAGE: 'minio', S3_ENDPOINT: 'http://127.0.0.1:1', S3_ACCESS_KEY: 'imagehost', S3_SECRET_KEY: 'imagehost-secret' }],
    ['queue', { QUEUE: 'bullmq', REDIS_URL: 'redis://127.0.0.1:1' }],
  ])('waits a bounded time for an unreachable %s, then says so in one line without a stack', async (dependency, env) => {
    const { code, stdout } = await run({ ...env, DEPENDENCY_TIMEOUT_SECONDS: '1' });
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; err?: unknown });
    expect(lines.some((line) => line.msg === `waiting for ${dependency}`)).toBe(true);
    const last = lines.at(-1)!;
    expect(last.msg).toMatch(new RegExp(`^imagehost serve failed: ${dependency} is unreachable after \\ds`));
    expect(last.err).toBeUndefined();
  });
});
