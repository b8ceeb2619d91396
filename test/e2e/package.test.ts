import { execFile } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';

/**
 * The npm package as a user gets it: `npm pack` of the build (dist/ is fresh: the e2e project's
 * global setup built it), installed with npm into an empty project, then used only through its
 * published entry points: the example, the `imagehost` bin, `imagehost/testing` under the consumer's
 * vitest, and the type declarations under a strict TypeScript build.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const execFileAsync = promisify(execFile);

/** Runs a program; a failure shows its whole output (tsc and vitest report on stdout). */
async function run(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number }) {
  try {
    return await execFileAsync(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed:\n${stdout}\n${stderr}`, { cause: error });
  }
}

let work: string;
let consumer: string;
let packed: string[];

/** The environment of a child process, without what the vitest running this file put there. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && !['NODE_OPTIONS', 'FORCE_COLOR'].includes(key));
  return { ...Object.fromEntries(inherited), NO_COLOR: '1', ...extra };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'imagehost-package-'));
  // --ignore-scripts: no second build through prepack.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env: cleanEnv() });
  const [info] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packed = info.files.map((file) => file.path);
  consumer = path.join(work, 'consumer');
  await mkdir(consumer);
  await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'imagehost-consumer', private: true, type: 'module' }));
  // Dependencies come from the local npm cache when it has them. sharp and libsql ship prebuilt
  // binaries, so no install script is needed (npm here runs none unless approved anyway).
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'];
  await run('npm', ['install', path.join(work, info.filename), ...flags], { cwd: consumer, env: cleanEnv(), timeout: 170_000 });
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

it('packs the build with its declarations, the bin, the gallery files and the example; no tests, no sources', async () => {
  for (const file of [
    'package.json',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/src/adapters/sharp/index.d.ts',
    'dist/src/testing/index.d.ts',
    'dist/src/testing/contracts/storage-service.contract.js',
    'dist/src/cli/bin.js',
    'src/adapters/http/gallery/index.html',
    'examples/embed.mjs',
  ]) {
    expect(packed).toContain(file);
  }
  expect(packed.filter((file) => /^(test|bench)\//.test(file) || /^src\/.*\.ts$/.test(file))).toEqual([]);
  const bin = await readFile(path.join(consumer, 'node_modules/imagehost/dist/src/cli/bin.js'), 'utf8');
  expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
});

it('runs the example, which embeds the core through the package entry points', async () => {
  await copyFile(path.join(consumer, 'node_modules/imagehost/examples/embed.mjs'), path.join(consumer, 'embed.mjs'));
  await writeFile(path.join(consumer, 'photo.jpg'), await samples.jpeg(640, 480));
  const { stdout } = await run('node', ['embed.mjs', 'photo.jpg', 'objects'], { cwd: consumer, env: cleanEnv() });
  const metadata = JSON.parse(stdout) as { thumbnail_status: string; width: number; renditions: { size: number; width: number; height: number; key: string }[]; placeholder: string };
  expect(metadata).toMatchObject({ thumbnail_status: 'ready', width: 640, height: 480, filename: 'photo.jpg', content_type: 'image/jpeg' });
  expect(metadata.renditions.map(({ size, width, height }) => [size, width, height])).toEqual([
    [150, 150, 113],
    [300, 300, 225],
  ]);
  expect(metadata.placeholder).toMatch(/^[A-Za-z0-9+/]+=*$/);
  for (const { key } of metadata.renditions) await access(path.join(consumer, 'objects', key));
});

it('links the imagehost bin, which imports a folder with the service built from the installed package', async () => {
  const photos = path.join(consumer, 'photos');
  await mkdir(photos);
  await writeFile(path.join(photos, 'one.png'), await samples.png(120, 90));
  const bin = path.join(consumer, 'node_modules/.bin/imagehost');
  const help = await run(bin, ['--help'], { cwd: consumer, env: cleanEnv() });
  expect(help.stdout).toContain('import <dir>');
  const env = cleanEnv({ DATA_DIR: path.join(consumer, 'data'), LOG_LEVEL: 'warn' });
  const { stdout } = await run(bin, ['import', 'photos', '--json'], { cwd: consumer, env });
  expect(JSON.parse(stdout)).toMatchObject({ imported: 1, failed: [], thumbnails: { done: 1, failed: 0 } });
});

it("proves an adapter with imagehost/testing's contract suites under the consumer's vitest", async () => {
  // vitest is the consumer's own tool (an optional peer dependency of imagehost): linked from here.
  await symlink(path.join(ROOT, 'node_modules/vitest'), path.join(consumer, 'node_modules/vitest'), 'dir');
  await writeFile(
    path.join(consumer, 'memory-adapters.test.mjs'),
    `import { imageRepositoryContract, InMemoryImageRepository, InMemoryStorageService, storageServiceContract } from 'imagehost/testing';
storageServiceContract('InMemoryStorageService', async () => ({ storage: new InMemoryStorageService(), close: async () => {} }));
imageRepositoryContract('InMemoryImageRepository', async () => ({ repository: new InMemoryImageRepository(), close: async () => {} }));
`,
  );
  const { stdout } = await run('node', ['node_modules/vitest/vitest.mjs', 'run', '--reporter=verbose'], { cwd: consumer, env: cleanEnv({ CI: 'true' }) });
  expect(stdout).toMatch(/StorageService contract.*InMemoryStorageService|InMemoryStorageService.*StorageService contract/);
  expect(stdout).toMatch(/ImageRepository contract.*InMemoryImageRepository|InMemoryImageRepository.*ImageRepository contract/);
  expect(stdout).toMatch(/Tests +(\d+) passed \(\1\)/); // every test ran and passed
});

it('type-checks a strict TypeScript consumer against the declarations, which are real types, not any', async () => {
  await writeFile(
    path.join(consumer, 'check.ts'),
    `import { ImageNotFoundError, UploadImage, type StorageService, type ThumbnailSettings } from 'imagehost';
import { BullMqTaskScheduler } from 'imagehost/adapters/bullmq';
import { FsStorageService } from 'imagehost/adapters/fs';
import { createHttpApp } from 'imagehost/adapters/http';
import { openDatabase } from 'imagehost/adapters/mikro-orm';
import { SharpImageResizer } from 'imagehost/adapters/sharp';
import { InMemoryImageRepository, storageServiceContract } from 'imagehost/testing';

const settings: ThumbnailSettings = { sizes: [300], format: 'jpeg', quality: 85, attempts: 3, backoffMs: 1000 };
// @ts-expect-error 'gif' is no rendition format
const wrong: ThumbnailSettings = { ...settings, format: 'gif' };
const storage: StorageService = new FsStorageService('objects');
declare const app: ReturnType<typeof createHttpApp>;
declare const database: Awaited<ReturnType<typeof openDatabase>>;
declare const scheduler: BullMqTaskScheduler;
// @ts-expect-error a Koa application has no such method (were Koa's types missing, app would be any)
app.noSuchMethod();
// @ts-expect-error nor has MikroORM
database.orm.noSuchMethod();
// @ts-expect-error nor the scheduler
scheduler.noSuchMethod();
export const used = [wrong, storage, UploadImage, ImageNotFoundError, SharpImageResizer, InMemoryImageRepository, storageServiceContract];
`,
  );
  const compilerOptions = {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules/@types')], // the consumer's own @types/node
  };
  await writeFile(path.join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['check.ts'] }));
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const { stdout } = await run('node', [tsc, '-p', consumer], { cwd: consumer, env: cleanEnv() });
  expect(stdout).toBe('');
});
