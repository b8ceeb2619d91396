import { createServer, type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServerTimeouts } from '../../src/adapters/http/http-server.js';
import * as samples from '../support/sample-images.js';
import { listedIds, uploadSentinel, type Sentinel } from '../support/sentinel.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Clients that stall, trickle or vanish mid-request, against the service's own app on a server built
 * by createHttpServer (as main.ts builds it) with short timeouts. The checks wait for events (the
 * server closing the connection, the app finishing the request), never for a time.
 */
const TIMEOUTS: HttpServerTimeouts = {
  headersTimeoutMs: 800,
  requestTimeoutMs: 2500,
  keepAliveTimeoutMs: 500,
  idleTimeoutMs: 1000,
  checkIntervalMs: 50,
};
const BOUNDARY = 'xxSLOWxx';

let service: TestServer;
let sentinel: Sentinel;
let server: Server;
let port: number;
const inFlight = new Set<Promise<void>>();

beforeAll(async () => {
  service = await startTestServer({ THUMBNAIL_SIZES: '150' });
  sentinel = await uploadSentinel(service);
  const handle = service.host.app.callback();
  // Koa's callback resolves once the request has gone through every middleware: what "settled" waits for.
  server = createHttpServer((req, res) => {
    const handled = handle(req, res);
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  }, TIMEOUTS);
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await service.close();
});

let idsBefore: string[];
let keysBefore: string[];
beforeAll(async () => {
  idsBefore = await listedIds(service.baseUrl);
  keysBefore = await service.storedKeys();
});
afterEach(async () => {
  await settled();
  // Nothing half-received was stored, and nothing stored before was lost.
  expect(await listedIds(service.baseUrl)).toEqual(idsBefore);
  expect((await service.storedKeys()).sort()).toEqual([...keysBefore].sort());
  await sentinel.expectIntact();
});

async function settled(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

/** The head of an upload of `bytes`, as one multipart part, with a Content-Length for the whole body. */
function uploadHead(bytes: Uint8Array): { head: string; body: Buffer } {
  const body = Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    Buffer.from(bytes),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  const head =
    `POST /api/v1/images/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return { head, body };
}

/**
 * Opens a raw connection, lets `drive` write to it, and resolves when the server closes it, with
 * what the server sent and whether `drive` had finished sending everything by then.
 */
function connection(drive: (socket: net.Socket, stopped: () => boolean) => Promise<void>): Promise<{ answer: string; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let finished = false;
    let closed = false;
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset is one way of being cut off
    socket.on('close', () => {
      closed = true;
      resolve({ answer, finished });
    });
    socket.once('connect', () => {
      drive(socket, () => closed || socket.destroyed).then(() => (finished = true), reject);
    });
  });
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a client that stalls or trickles', () => {
  it('stalling mid-body: the connection is closed once idle (idleTimeout), the half-upload stored nowhere', async () => {
    const { head, body } = uploadHead(await samples.jpeg(300, 200));
    // Half the body, then nothing more (the connection stays open on our side): the server gives up on us.
    const { answer, finished } = await connection((socket) => {
      socket.write(head);
      socket.write(body.subarray(0, body.length / 2));
      return Promise.resolve();
    });
    expect(finished).toBe(true);
    expect(answer).toBe(''); // dropped, not answered: nobody is listening
  });

  it('trickling the body a few bytes at a time: cut off with 408 at requestTimeout', async () => {
    const { head, body } = uploadHead(await samples.jpeg(300, 200));
    const { answer, finished } = await connection(async (socket, stopped) => {
      socket.write(head);
      // Never idle, never done: 16 bytes every 50 ms would take minutes.
      for (let offset = 0; offset < body.length && !stopped(); offset += 16) {
        socket.write(body.subarray(offset, offset + 16));
        await tick(50);
      }
    });
    expect(finished).toBe(false);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('trickling the headers (slowloris): cut off with 408 at headersTimeout, before any route runs', async () => {
    const { answer, finished } = await connection(async (socket, stopped) => {
      socket.write('GET /api/v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      for (let i = 0; i < 1000 && !stopped(); i++) {
        socket.write(`X-Slow-${i}: ${i}\r\n`);
        await tick(50);
      }
    });
    expect(finished).toBe(false);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('a client that goes away', () => {
  it.each([0.1, 0.5, 0.95])('aborting an upload after %f of its body leaves no row and no object', async (fraction) => {
    const { head, body } = uploadHead(await samples.jpeg(320, 240));
    await connection(async (socket) => {
      socket.write(head);
      socket.write(body.subarray(0, Math.floor(body.length * fraction)));
      await tick(20);
      socket.destroy();
    });
    await settled(); // the app has seen the abort through to the end
  });

  it('aborting with every byte sent but the closing boundary stores nothing either', async () => {
    const { head, body } = uploadHead(await samples.jpeg(320, 240));
    await connection(async (socket) => {
      socket.write(head);
      socket.write(body.subarray(0, body.length - `--${BOUNDARY}--\r\n`.length - 2));
      await tick(20);
      socket.destroy();
    });
  });
});

describe('createHttpServer', () => {
  it("applies each timeout (Node's own defaults: requestTimeout 300 s, headersTimeout 60 s, keepAliveTimeout 5 s, no idle timeout)", () => {
    const plain = createServer();
    expect([plain.requestTimeout, plain.headersTimeout, plain.keepAliveTimeout, plain.timeout]).toEqual([300_000, 60_000, 5000, 0]);
    const configured = createHttpServer(() => undefined, TIMEOUTS);
    expect([configured.requestTimeout, configured.headersTimeout, configured.keepAliveTimeout, configured.timeout]).toEqual([2500, 800, 500, 1000]);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() => createHttpServer(() => undefined, { ...TIMEOUTS, headersTimeoutMs: 3000 })).toThrow(RangeError);
    expect(() => createHttpServer(() => undefined, { ...TIMEOUTS, requestTimeoutMs: 0, headersTimeoutMs: 3000 })).not.toThrow();
  });
});
