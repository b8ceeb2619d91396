import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withJobLogContext } from '../../src/adapters/pino/job-logging.js';
import { currentLogContext, runWithLogContext } from '../../src/adapters/pino/log-context.js';
import { createPinoLogger } from '../../src/adapters/pino/pino-logger.js';
import { loadConfig } from '../../src/config.js';
import { PermanentTaskError, type JobContext, type TaskHandlers } from '../../src/ports/task-scheduler.js';
import { LogSink } from '../support/observed-server.js';

function memoryLogger(level = 'info') {
  const logs = new LogSink();
  return { logs, logger: createPinoLogger(level, { destination: logs }) };
}

const job = (overrides: Partial<JobContext> = {}): JobContext => ({ jobId: 'thumbnails:abc', attempt: 1, maxAttempts: 3, retryDelayMs: 500, ...overrides });

describe('log context', () => {
  it('adds the bindings in force to every line, across awaits, and only there', async () => {
    const { logs, logger } = memoryLogger();
    logger.info({}, 'before');
    await runWithLogContext({ requestId: 'r-1' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info({ extra: 1 }, 'inside');
      runWithLogContext({ imageId: 'i-1' }, () => logger.info({}, 'nested'));
      runWithLogContext({ jobId: 'j-1' }, () => logger.info({}, 'replaced'), { replace: true });
      logger.info({ requestId: 'explicit' }, 'explicit wins');
    });
    logger.info({}, 'after');
    expect(logs.lines().map(({ msg, requestId, imageId, jobId }) => ({ msg, requestId, imageId, jobId }))).toEqual([
      { msg: 'before' },
      { msg: 'inside', requestId: 'r-1' },
      { msg: 'nested', requestId: 'r-1', imageId: 'i-1' },
      { msg: 'replaced', jobId: 'j-1' },
      { msg: 'explicit wins', requestId: 'explicit' },
      { msg: 'after' },
    ]);
    expect(currentLogContext()).toEqual({});
  });

  it('keeps concurrent contexts apart', async () => {
    const { logs, logger } = memoryLogger();
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        runWithLogContext({ requestId: id }, async () => {
          for (let i = 0; i < 3; i++) {
            await tick();
            logger.info({ expected: id }, 'step');
          }
        }),
      ),
    );
    const lines = logs.lines();
    expect(lines).toHaveLength(9);
    for (const line of lines) expect(line.requestId).toBe(line.expected);
  });
});

describe('redaction', () => {
  it('hides tokens, credentials and secret headers wherever they are logged', () => {
    const { logs, logger } = memoryLogger();
    logger.info({ deleteToken: 'dt-1', delete_token: 'dt-2', image: { deleteToken: 'dt-3' }, adminToken: 'at-1' }, 'tokens');
    logger.info({ headers: { authorization: 'Bearer at-2', 'x-delete-token': 'dt-4', cookie: 'c-1', accept: 'image/*' } }, 'headers');
    logger.info({ req: { headers: { authorization: 'Bearer at-3', 'x-delete-token': 'dt-5' } } }, 'nested headers');
    logger.info({ options: { password: 'pw-1', secretKey: 'sk-1', accessKey: 'ak-1' } }, 'driver options');
    for (const secret of ['dt-1', 'dt-2', 'dt-3', 'dt-4', 'dt-5', 'at-1', 'at-2', 'at-3', 'c-1', 'pw-1', 'sk-1', 'ak-1']) {
      expect(logs.text).not.toContain(secret);
    }
    expect(logs.lines()[1]).toMatchObject({ headers: { authorization: '[redacted]', accept: 'image/*' } });
  });

  it('logs a configuration with its credentials hidden and passwords cut out of its URLs', () => {
    const { logs, logger } = memoryLogger();
    const config = loadConfig({
      DATABASE_URL: 'postgres://imagehost:db-pass-1@db:5432/imagehost?sslpassword=db-pass-2',
      REDIS_URL: 'redis://:redis-pass-1@redis:6379',
      STORAGE: 'minio',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY: 's3-access-1',
      S3_SECRET_KEY: 's3-secret-1',
      ADMIN_TOKEN: 'admin-token-0123456789',
    });
    logger.info({ config }, 'configuration');
    logger.info({ settings: config }, 'configuration under another name');
    for (const secret of ['db-pass-1', 'db-pass-2', 'redis-pass-1', 's3-access-1', 's3-secret-1', 'admin-token-0123456789']) {
      expect(logs.text).not.toContain(secret);
    }
    expect(logs.lines()[0]?.config).toMatchObject({
      DATABASE_URL: 'postgres://imagehost:[redacted]@db:5432/imagehost?sslpassword=[redacted]',
      REDIS_URL: 'redis://:[redacted]@redis:6379',
      S3_ENDPOINT: 'http://minio:9000',
      S3_SECRET_KEY: '[redacted]',
      ADMIN_TOKEN: '[redacted]',
      STORAGE: 'minio',
    });
  });
});

describe('pretty output', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-pretty-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('falls back to JSON, with one warning line, where pino-pretty cannot be found', () => {
    const logs = new LogSink();
    const missing = () => {
      throw new Error("Cannot find module 'pino-pretty'");
    };
    const logger = createPinoLogger('info', { pretty: true, destination: logs, resolvePretty: missing });
    logger.info({ requestId: 'r-1' }, 'still logging');
    expect(logs.lines().map((line) => [line.level, line.msg])).toEqual([
      [40, 'LOG_PRETTY=true but pino-pretty is not installed (a devDependency): logging JSON'],
      [30, 'still logging'],
    ]);
  });

  it('writes human-readable lines through pino-pretty when it is installed, redacted, even right before process.exit', async () => {
    const source = (file: string) => JSON.stringify(path.resolve('src/adapters/pino', file));
    const script = path.join(dir, 'pretty.ts');
    await writeFile(
      script,
      [
        `import { createPinoLogger } from ${source('pino-logger.ts')};`,
        `import { runWithLogContext } from ${source('log-context.ts')};`,
        `const logger = createPinoLogger('info', { pretty: true });`,
        `runWithLogContext({ requestId: 'r-pretty' }, () => logger.info({ deleteToken: 'dt-pretty' }, 'hello pretty'));`,
        `process.exit(0);`,
      ].join('\n'),
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, NO_COLOR: '1' } });
    expect(stdout).toMatch(/INFO.*hello pretty/);
    expect(stdout).toContain('requestId: "r-pretty"');
    expect(stdout).not.toContain('dt-pretty');
    expect(stdout.trimStart().startsWith('{')).toBe(false);
  });
});

describe('job log context', () => {
  it('logs start and finish with the job bindings, and binds them to the handler\'s own lines', async () => {
    const { logs, logger } = memoryLogger();
    const handlers: TaskHandlers = {
      'generate-thumbnails': async () => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        logger.info({}, 'rendering');
      },
    };
    const wrapped = withJobLogContext(handlers, logger);
    await runWithLogContext({ requestId: 'the-request-that-woke-the-scheduler' }, () =>
      wrapped['generate-thumbnails']({ imageId: 'abc' }, job({ attempt: 2 })),
    );
    const lines = logs.lines();
    expect(lines.map((line) => line.msg)).toEqual(['job started', 'rendering', 'job finished']);
    for (const line of lines) {
      expect(line).toMatchObject({ jobId: 'thumbnails:abc', taskType: 'generate-thumbnails', attempt: 2 });
      expect(line).not.toHaveProperty('requestId');
    }
    expect(lines[2]?.durationMs).toBeGreaterThanOrEqual(1);
  });

  it('logs a failure by how it ends (retry, for good, attempts exhausted) and rethrows the same error', async () => {
    const { logs, logger } = memoryLogger();
    const errors = [
      Object.assign(new Error('storage down'), { code: 'ECONNREFUSED' }),
      new PermanentTaskError('INVALID_IMAGE', { cause: Object.assign(new Error('bad scan data'), { code: 'INVALID_IMAGE' }) }),
      new Error('no code at all'),
    ];
    const contexts = [job(), job(), job({ attempt: 3, retryDelayMs: null })];
    for (const [i, error] of errors.entries()) {
      const wrapped = withJobLogContext({ 'generate-thumbnails': () => Promise.reject(error) }, logger);
      await expect(wrapped['generate-thumbnails']({ imageId: 'abc' }, contexts[i]!)).rejects.toBe(error);
    }
    const failures = logs.lines().filter((line) => line.msg !== 'job started');
    expect(failures.map(({ msg, level, code, retryDelayMs }) => ({ msg, level, code, retryDelayMs }))).toEqual([
      { msg: 'job failed; will retry', level: 40, code: 'ECONNREFUSED', retryDelayMs: 500 },
      { msg: 'job failed for good', level: 40, code: 'INVALID_IMAGE', retryDelayMs: null },
      { msg: 'job failed; no attempts left', level: 50, retryDelayMs: null },
    ]);
    const err = failures[2]?.err as { message?: unknown; stack?: unknown } | undefined;
    expect(err?.message).toBe('no code at all');
    expect(typeof err?.stack).toBe('string');
  });

  it('leaves a missing handler missing, so the scheduler still refuses to start', () => {
    const { logger } = memoryLogger();
    expect(withJobLogContext({} as TaskHandlers, logger)).toEqual({});
  });
});
