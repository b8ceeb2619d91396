import { describe, expect, it } from 'vitest';
import { ConfigError, forApiProcess, loadConfig } from '../../src/config.js';
import { usableCores } from '../../src/cpu-cores.js';

/** Renders at once, then jobs at once. */
const concurrency = (config: { renderConcurrency: number; workerConcurrency: number }) => [config.renderConcurrency, config.workerConcurrency];

describe('loadConfig', () => {
  it('runs on embedded defaults with no environment at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATA_DIR: './data',
      STORAGE: 'fs',
      MAX_UPLOAD_BYTES: 25 * 1024 * 1024,
      MAX_PIXELS: 100_000_000,
      THUMBNAIL_SIZES: [150, 300, 600],
      THUMBNAIL_QUALITY: 85,
      THUMBNAIL_ATTEMPTS: 5,
    });
    expect(config.databaseUrl).toBe('file:data/imagehost.db');
  });

  it('renders one image more than the cores at once, but half the cores in an API process that makes thumbnails itself', () => {
    const cores = usableCores();
    const half = Math.max(1, Math.floor(cores / 2));
    expect(concurrency(loadConfig({}))).toEqual([cores + 1, 2 * (cores + 1)]);
    expect(concurrency(forApiProcess(loadConfig({})))).toEqual([half, half]);
    expect(concurrency(forApiProcess(loadConfig({ QUEUE: 'bullmq' })))).toEqual([cores + 1, 2 * (cores + 1)]);
  });

  it('runs twice as many jobs as renders (as many in an API process) unless WORKER_CONCURRENCY says otherwise, and never more renders than jobs', () => {
    const cores = usableCores();
    expect(concurrency(loadConfig({ RENDER_CONCURRENCY: '3' }))).toEqual([3, 6]);
    expect(concurrency(forApiProcess(loadConfig({ RENDER_CONCURRENCY: '3' })))).toEqual([3, 3]);
    expect(concurrency(forApiProcess(loadConfig({ WORKER_CONCURRENCY: '3' })))).toEqual([Math.min(3, Math.max(1, Math.floor(cores / 2))), 3]);
    expect(concurrency(forApiProcess(loadConfig({ QUEUE: 'bullmq', RENDER_CONCURRENCY: '3' })))).toEqual([3, 6]);
    expect(concurrency(loadConfig({ RENDER_CONCURRENCY: '3', WORKER_CONCURRENCY: '4' }))).toEqual([3, 4]);
    expect(concurrency(loadConfig({ WORKER_CONCURRENCY: '40' }))).toEqual([Math.min(cores + 1, 40), 40]);
    expect(concurrency(loadConfig({ WORKER_CONCURRENCY: '1' }))).toEqual([1, 1]);
    expect(concurrency(loadConfig({ RENDER_CONCURRENCY: '8', WORKER_CONCURRENCY: '2' }))).toEqual([2, 2]);
    expect(() => loadConfig({ RENDER_CONCURRENCY: '0' })).toThrow(/^RENDER_CONCURRENCY="0" is invalid/);
  });

  it('runs libvips on one thread per image unless VIPS_CONCURRENCY says otherwise', () => {
    expect(loadConfig({}).VIPS_CONCURRENCY).toBe(1);
    expect(loadConfig({ VIPS_CONCURRENCY: '4' }).VIPS_CONCURRENCY).toBe(4);
    expect(() => loadConfig({ VIPS_CONCURRENCY: '0' })).toThrow(/^VIPS_CONCURRENCY="0" is invalid/);
  });

  it('parses every kind of value', () => {
    const config = loadConfig({
      PORT: '8080',
      THUMBNAIL_SIZES: '600,150,300,150',
      MIGRATE_ON_START: 'false',
      DATABASE_URL: 'postgres://u@db:5432/images',
      STORAGE: 'minio',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY: 'a',
      S3_SECRET_KEY: 'b',
      S3_FORCE_PATH_STYLE: 'no',
    });
    expect(config).toMatchObject({ PORT: 8080, THUMBNAIL_SIZES: [600, 150, 300], MIGRATE_ON_START: false, S3_FORCE_PATH_STYLE: false });
    expect(config.databaseUrl).toBe('postgres://u@db:5432/images');
  });

  it('names each bad variable on a line of its own, never echoing secrets', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'eighty', THUMBNAIL_SIZES: '300,big', DATABASE_URL: 'mysql://x', S3_SECRET_KEY: 'x', S3_ENDPOINT: 'ftp://x' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines.map((line) => line.split(/[= ]/)[0]).sort()).toEqual(['DATABASE_URL', 'PORT', 'S3_ENDPOINT', 'THUMBNAIL_SIZES']);
    expect(message).toContain('PORT="eighty" is invalid');
    expect(() => loadConfig({ STORAGE: 'minio', S3_ACCESS_KEY: 'a' })).toThrow(
      'S3_ENDPOINT is required when STORAGE=minio\nS3_SECRET_KEY is required when STORAGE=minio',
    );
  });

  it('hides secret values in its messages', () => {
    expect(() => loadConfig({ STORAGE: 'minio', S3_ENDPOINT: 'http://m:9000', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: '' })).toThrow(
      'S3_SECRET_KEY is required when STORAGE=minio',
    );
    expect(() => loadConfig({ THUMBNAIL_QUALITY: '0' })).toThrow(/^THUMBNAIL_QUALITY="0" is invalid/);
  });
});
