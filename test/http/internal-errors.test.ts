import { get } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { fakeImageBytes, FakeImageResizer } from '../../src/adapters/memory/fake-image-resizer.js';
import { FixedClock } from '../../src/adapters/memory/fixed-clock.js';
import { InMemoryAttemptLimiter } from '../../src/adapters/memory/in-memory-attempt-limiter.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { InMemoryStorageService } from '../../src/adapters/memory/in-memory-storage-service.js';
import { DatabaseUnavailableError, LimiterUnavailableError, QueueUnavailableError, StorageUnavailableError } from '../../src/domain/errors.js';
import { startInMemoryApp } from '../support/in-memory-app.js';

/**
 * Internal failures in every layer under the routes, each carrying what must never reach a client:
 * a server path, a stack, a driver message. The answer is always the same generic 500.
 */
const SECRET_PATH = '/srv/imagehost/data/objects/9f/86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const SECRET_MESSAGE = `ENOENT: no such file or directory, open '${SECRET_PATH}'`;
const GENERIC_500 = { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side' } };

function leakyError(): Error {
  const error = new Error(`${SECRET_MESSAGE}\n    at FsStorageService.get (/app/src/adapters/fs/fs-storage-service.ts:42:7)`);
  error.stack = `Error: ${error.message}\n    at async open (node:internal/fs/promises:639:25)`;
  return Object.assign(error, { code: 'ENOENT', errno: -2, path: SECRET_PATH });
}

/** Ways an adapter can fail: rejecting, throwing synchronously, or throwing things that are not Errors. */
const FAILURES: Record<string, () => unknown> = {
  'an Error with a path and a stack, rejected': () => Promise.reject(leakyError()),
  'the same, thrown synchronously': () => {
    throw leakyError();
  },
  'a string naming a path': () => Promise.reject(`${SECRET_MESSAGE} at /app/dist/src/main.js:1:1`), // eslint-disable-line @typescript-eslint/prefer-promise-reject-errors
  'an http-errors-like object asking to be exposed': () =>
    Promise.reject(Object.assign(new Error(SECRET_MESSAGE), { status: 400, statusCode: 400, expose: true })),
};

/** Wraps an adapter so that any of its methods can be made to fail, then healed. */
function breakable<T extends object>(target: T) {
  const broken = new Map<PropertyKey, () => unknown>();
  const subject = new Proxy(target, {
    get(object, property) {
      const fail = broken.get(property);
      if (fail) return fail;
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
  return { subject, broken };
}

const storage = breakable(new InMemoryStorageService());
const images = breakable(new InMemoryImageRepository());
const scheduler = breakable(new InProcessTaskScheduler({ concurrency: 1 }));
const resizer = breakable(new FakeImageResizer());
const limiter = breakable(new InMemoryAttemptLimiter(new FixedClock()));
const adapters = [storage, images, scheduler, resizer, limiter];

let app: Awaited<ReturnType<typeof startInMemoryApp>>;
let imageId: string;
beforeAll(async () => {
  app = await startInMemoryApp({
    storage: storage.subject,
    images: images.subject,
    scheduler: scheduler.subject,
    resizer: resizer.subject,
    deleteAttempts: { limiter: limiter.subject },
    // The service's three checks (as src/imagehost.ts wires them); only the database fails.
    readinessChecks: [
      { name: 'database', check: () => Promise.reject(leakyError()) },
      { name: 'storage', check: () => Promise.resolve() },
      { name: 'queue', check: () => Promise.resolve() },
    ],
  });
  imageId = (await app.kit.upload.execute({ bytes: fakeImageBytes('png', 40, 30), filename: 'a.png' })).image.id;
});
afterEach(() => {
  for (const adapter of adapters) adapter.broken.clear();
});
afterAll(async () => {
  await app.close();
  app.responses.assertConforming();
});

function uploadForm(): FormData {
  const form = new FormData();
  form.append('file', new Blob([fakeImageBytes('jpeg', 20, 10)]), 'x.jpg');
  return form;
}

/** Where each route meets an adapter it cannot do without. */
const ROUTES: [string, () => [string, RequestInit], Map<PropertyKey, () => unknown>, string][] = [
  ['GET metadata', () => [`/api/v1/images/${imageId}`, {}], images.broken, 'findById'],
  ['GET list', () => ['/api/v1/images', {}], images.broken, 'list'],
  ['GET original', () => [`/api/v1/images/${imageId}/file`, {}], storage.broken, 'getStream'],
  ['GET thumbnail', () => [`/api/v1/images/${imageId}/thumbnail`, {}], images.broken, 'findById'],
  ['GET events', () => [`/api/v1/images/${imageId}/events`, {}], images.broken, 'findById'],
  ['GET job stats', () => ['/api/v1/jobs', {}], scheduler.broken, 'stats'],
  ['POST upload (storage)', () => ['/api/v1/images/upload', { method: 'POST', body: uploadForm() }], storage.broken, 'put'],
  ['POST upload (image probe)', () => ['/api/v1/images/upload', { method: 'POST', body: uploadForm() }], resizer.broken, 'probe'],
  ['DELETE (repository)', () => [`/api/v1/images/${imageId}`, { method: 'DELETE', headers: { 'X-Delete-Token': 'x' } }], images.broken, 'findById'],
  ['DELETE (attempt limiter: fails closed)', () => [`/api/v1/images/${imageId}`, { method: 'DELETE', headers: { 'X-Delete-Token': 'x' } }], limiter.broken, 'blockedFor'],
];

async function expectGeneric500(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status).toBe(500);
  expect(JSON.parse(text)).toEqual(GENERIC_500);
  expect(text).not.toContain('/');
  expect(text).not.toContain('at ');
  expect(text).not.toContain('ENOENT');
  for (const [name, value] of response.headers) {
    expect(`${name}: ${value}`).not.toContain('ENOENT');
    expect(value).not.toContain('/srv/');
  }
}

describe.each(Object.entries(FAILURES))('%s', (_failure, fail) => {
  it.each(ROUTES)('%s → generic 500, nothing of the error in the answer, the error in the log', async (_route, target, broken, method) => {
    broken.set(method, fail);
    const logged = app.kit.logger.entries.length;
    const [path, init] = target();
    await expectGeneric500(await fetch(app.baseUrl + path, init));
    const entries = app.kit.logger.entries.slice(logged);
    expect(entries).toEqual([expect.objectContaining({ level: 'error', message: 'unhandled error' })]);
  });
});

/** A dependency outage, as the real adapters report it, with the driver's words (host, key) in its message. */
const OUTAGES: [string, () => [string, RequestInit], Map<PropertyKey, () => unknown>, string, () => Error][] = [
  ['GET metadata', () => [`/api/v1/images/${imageId}`, {}], images.broken, 'findById', databaseDown],
  ['GET list', () => ['/api/v1/images', {}], images.broken, 'list', databaseDown],
  ['GET original', () => [`/api/v1/images/${imageId}/file`, {}], storage.broken, 'getStream', storageDown],
  ['POST upload (storage)', () => ['/api/v1/images/upload', { method: 'POST', body: uploadForm() }], storage.broken, 'put', storageDown],
  ['POST upload (database)', () => ['/api/v1/images/upload', { method: 'POST', body: uploadForm() }], images.broken, 'add', databaseDown],
  ['DELETE (database)', () => [`/api/v1/images/${imageId}`, { method: 'DELETE', headers: { 'X-Delete-Token': 'x' } }], images.broken, 'findById', databaseDown],
  ['DELETE (attempt limiter)', () => [`/api/v1/images/${imageId}`, { method: 'DELETE', headers: { 'X-Delete-Token': 'x' } }], limiter.broken, 'blockedFor', limiterDown],
  ['GET job stats', () => ['/api/v1/jobs', {}], scheduler.broken, 'stats', queueDown],
];

function limiterDown(): Error {
  return new LimiterUnavailableError("The attempt limiter's Redis did not answer: connect ECONNREFUSED 10.1.2.3:6379");
}

function queueDown(): Error {
  return new QueueUnavailableError("The job queue's Redis did not answer: connect ECONNREFUSED 10.1.2.3:6379");
}

function storageDown(): Error {
  return new StorageUnavailableError(`MinIO put of "originals/9f/86" in bucket "secret-bucket" failed: connect ECONNREFUSED 10.1.2.3:9000`);
}

function databaseDown(): Error {
  return new DatabaseUnavailableError('The database is unavailable: connect ECONNREFUSED 10.1.2.3:5432');
}

describe('a dependency that does not answer', () => {
  it.each(OUTAGES)('%s → 503 naming the dependency, Retry-After, none of the driver text; a warning in the log', async (_route, target, broken, method, outage) => {
    const error = outage();
    broken.set(method, () => Promise.reject(error));
    const logged = app.kit.logger.entries.length;
    const [path, init] = target();
    const response = await fetch(app.baseUrl + path, init);
    const text = await response.text();

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(text)).toEqual({ error: { code: (error as StorageUnavailableError).code, message: expect.stringMatching(/unavailable; try again shortly$/) as string } });
    expect(text).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|secret-bucket|originals/);
    const entries = app.kit.logger.entries.slice(logged);
    expect(entries).toEqual([expect.objectContaining({ level: 'warn', message: 'dependency unavailable' })]);
  });
});

describe('failures that are not a whole answer', () => {
  it('/readyz names the failing dependency, never its error', async () => {
    const response = await fetch(`${app.baseUrl}/readyz`);
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(JSON.parse(text)).toEqual({ status: 'unavailable', checks: { database: 'unavailable', storage: 'ok', queue: 'ok' } });
    expect(text).not.toContain('ENOENT');
  });

  it('a file stream failing after the headers were sent cuts the response; no error text follows the bytes; one error line logs it', async () => {
    const first = Buffer.from('FAKE'); // of the 17 bytes the stored image has
    storage.broken.set('getStream', () =>
      Promise.resolve({
        size: 17,
        contentType: 'image/png',
        body: Readable.from(
          (async function* () {
            yield first;
            await new Promise((resolve) => setTimeout(resolve, 20));
            throw leakyError();
          })(),
        ),
      }),
    );
    const logged = app.kit.logger.entries.length;
    const headers = { 'X-Delete-Token': 'dt-secret-1', Authorization: 'Bearer at-secret-1' };
    const { status, received } = await new Promise<{ status: number; received: Buffer }>((resolve) => {
      get(`${app.baseUrl}/api/v1/images/${imageId}/file?token=q-secret-1`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('close', () => resolve({ status: res.statusCode ?? 0, received: Buffer.concat(chunks) }));
        res.on('error', () => undefined); // the cut shows as "aborted"
      });
    });
    expect(status).toBe(200);
    expect(received.toString('latin1')).toBe('FAKE');
    expect(received.toString('latin1')).not.toContain('ENOENT');

    await vi.waitFor(() => expect(app.kit.logger.entries.length).toBeGreaterThan(logged));
    await new Promise((resolve) => setTimeout(resolve, 20)); // time for a second line, were there one
    const entries = app.kit.logger.entries.slice(logged);
    expect(entries.map(({ level, message }) => ({ level, message }))).toEqual([{ level: 'error', message: 'response failed after its headers were sent' }]);
    expect(entries[0]?.fields).toMatchObject({ code: 'ENOENT', method: 'GET', route: '/api/v1/images/:id/file', path: `/api/v1/images/${imageId}/file` });
    expect(JSON.stringify(entries)).not.toMatch(/dt-secret-1|at-secret-1|q-secret-1/);
  });

  it('a client going away mid-download is logged at debug, not as an error', async () => {
    const body = new Readable({ read: () => undefined }); // the first bytes, then nothing until the client leaves
    body.push(Buffer.from('FAKE'));
    storage.broken.set('getStream', () => Promise.resolve({ size: 17, contentType: 'image/png', body }));
    const logged = app.kit.logger.entries.length;
    await new Promise<void>((resolve) => {
      const request = get(`${app.baseUrl}/api/v1/images/${imageId}/file`, (res) => {
        res.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', () => undefined);
    });

    await vi.waitFor(() => expect(body.destroyed).toBe(true));
    await vi.waitFor(() => expect(app.kit.logger.entries.length).toBeGreaterThan(logged));
    const entries = app.kit.logger.entries.slice(logged);
    expect(entries.map(({ level, message }) => ({ level, message }))).toEqual([{ level: 'debug', message: 'response aborted by the client' }]);
    expect(entries[0]?.fields).toMatchObject({ method: 'GET', path: `/api/v1/images/${imageId}/file` });
  });
});

describe('errors whose text merely looks like a client mistake', () => {
  // Multipart errors are classified by their own codes where they arise, never by words in a message
  // ("format", "transform" and "platform" once read as a malformed upload).
  it.each([
    ["a TypeError reading 'format'", () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'format')"))],
    ['a transform stream failure', () => Promise.reject(new Error('Transform stream closed early'))],
  ])('%s is an internal error (500, logged), not a malformed upload', async (_name, fail) => {
    images.broken.set('list', fail);
    const logged = app.kit.logger.entries.length;
    await expectGeneric500(await fetch(`${app.baseUrl}/api/v1/images`));
    expect(app.kit.logger.entries.length).toBe(logged + 1);
  });
});
