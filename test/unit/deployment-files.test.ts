import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVICE_MALLOC_ENV, SERVICE_NODE_FLAGS } from '../../bench/service.js';
import { configSchema, loadConfig } from '../../src/config.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const SETTINGS = Object.keys(configSchema.shape).sort();

interface ComposeService {
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number; resources?: { limits?: { cpus?: string } } };
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const appServices = Object.entries(compose.services).filter(([, service]) => service.environment?.DATABASE_URL);

describe('docker-compose.yml', () => {
  it('has the app services, each reading only variables the app knows, all valid', () => {
    expect(appServices.map(([name]) => name).sort()).toEqual(['api', 'worker']);
    for (const [name, service] of appServices) {
      const env = service.environment ?? {};
      expect(Object.keys(env).filter((key) => !SETTINGS.includes(key)), name).toEqual([]);
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it('points the app at the postgres and minio services it defines, with matching credentials', () => {
    const env = compose.services.api!.environment!;
    const postgres = compose.services.postgres!.environment!;
    const minio = compose.services.minio!.environment!;
    const db = new URL(env.DATABASE_URL!);
    expect([db.hostname, db.username, db.password, db.pathname]).toEqual([
      'postgres',
      postgres.POSTGRES_USER,
      postgres.POSTGRES_PASSWORD,
      `/${postgres.POSTGRES_DB}`,
    ]);
    expect(new URL(env.S3_ENDPOINT!).hostname).toBe('minio');
    expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
    expect(compose.services.redis).toBeDefined();
    expect(compose.services.worker!.environment).toMatchObject({ ...env, PORT: '3000' });
    expect([env.S3_ACCESS_KEY, env.S3_SECRET_KEY]).toEqual([minio.MINIO_ROOT_USER, minio.MINIO_ROOT_PASSWORD]);
  });

  it('has a healthcheck on every long-running service, the API on /readyz', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name.endsWith('-bucket')) continue;
      expect(service.healthcheck, name).toBeDefined();
    }
    expect(compose.services.api!.healthcheck!.test.join(' ')).toContain('/readyz');
    expect(compose.services.worker!.healthcheck!.test.join(' ')).toContain('/readyz');
    expect(compose.services.api!.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('limits each worker to one CPU, which its default concurrency counts, so replicas scale with cores', () => {
    expect(compose.services.worker!.deploy?.resources?.limits?.cpus).toBe('1');
  });
});

describe('.env.example and the README', () => {
  it('.env.example lists every setting, and its values are valid', () => {
    const text = read('.env.example');
    const listed = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect([...new Set(listed)].sort()).toEqual(SETTINGS);
    const active = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(() => loadConfig(active)).not.toThrow();
  });

  it("the README's configuration table lists every setting", () => {
    const rows = [...read('README.md').matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
    expect([...new Set(rows)].sort()).toEqual(SETTINGS);
  });
});

describe('node flags and malloc settings', () => {
  it('npm start, npm run worker, the image and the bench run the service with the same node flags', () => {
    const flagsBefore = (words: string[]) => words.slice(words.indexOf('node') + 1, words.indexOf('dist/src/main.js'));
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    for (const script of ['start', 'worker']) expect(flagsBefore(scripts[script]!.split(/\s+/))).toEqual(SERVICE_NODE_FLAGS);
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(flagsBefore(JSON.parse(entrypoint ?? '[]') as string[])).toEqual(SERVICE_NODE_FLAGS);
  });

  it('npm start, npm run worker, the image and the bench run the service with the same malloc settings', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    for (const script of ['start', 'worker']) {
      const defaults = [...scripts[script]!.matchAll(/\b(MALLOC_[A-Z_]+)=\$\{\1:-([^}]*)\}/g)].map((m) => [m[1]!, m[2]!]);
      expect(Object.fromEntries(defaults)).toEqual(SERVICE_MALLOC_ENV);
    }
    const env = [...read('Dockerfile').matchAll(/^ENV (.*)$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    const malloc = env.filter((word) => word.startsWith('MALLOC_')).map((word) => word.split('='));
    expect(Object.fromEntries(malloc)).toEqual(SERVICE_MALLOC_ENV);
  });
});
