import { describe, expect, it } from 'vitest';
import { ConfigError, forApiProcess, loadConfig } from '../../src/config.js';
import { usableCores } from '../../src/cpu-cores.js';

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

  it('runs one thumbnail job more than the cores, but half the cores in an API process that makes thumbnails itself', () => {
    const cores = usableCores();
    expect(loadConfig({}).workerConcurrency).toBe(cores + 1);
    expect(forApiProcess(loadConfig({})).workerConcurrency).toBe(Math.max(1, Math.floor(cores / 2)));
    expect(forApiProcess(loadConfig({ QUEUE: 'bullmq' })).workerConcurrency).toBe(cores + 1);
    expect(forApiProcess(loadConfig({ WORKER_CONCURRENCY: '3' })).workerConcurrency).toBe(3);
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
