import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * An upload refused while its body is still arriving is answered at once, and the connection then
 * closes the way nginx closes it: the server ends its side and goes on taking what still arrives for
 * a while. Were it to close the socket outright, the client's next bytes would draw a reset, and a
 * client still writing may fail (EPIPE, ECONNRESET) before it has read the answer.
 */
const MAX_UPLOAD_BYTES = 64 * 1024;
const CHUNK = Buffer.alloc(16 * 1024, 0x61);
/** How long the client goes on sending after the answer: well inside the server's linger. */
const SEND_ON_MS = 300;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) }, { worker: false });
});
afterAll(() => server.close());

/** Sends `head`, then `chunk()` until the answer's head has arrived, then for SEND_ON_MS more. */
async function sendOnAfterAnswer(head: string, chunk: () => Buffer): Promise<{ answer: string; error: string | null }> {
  const { hostname, port } = new URL(server.baseUrl);
  // Half-open allowed, as a client still sending keeps its side open: by default a Node socket ends
  // its own side when the server's FIN arrives and fails its next write with an EPIPE of its own
  // making ("ended by the other party"), reset or not. With it, only a reset can fail a write.
  const socket = net.connect({ port: Number(port), host: hostname, allowHalfOpen: true });
  await once(socket, 'connect');
  let answer = '';
  let error: string | null = null;
  socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const answered = () => answer.includes('\r\n\r\n');
  socket.write(head);
  for (let sent = 0; !answered() && !error && sent < 64 * 1024 * 1024; sent += CHUNK.length) {
    if (!socket.write(chunk())) await Promise.race([once(socket, 'drain'), once(socket, 'data'), once(socket, 'close')]);
  }
  const until = Date.now() + SEND_ON_MS;
  while (Date.now() < until && !error && !socket.destroyed) {
    socket.write(chunk());
    await delay(10);
  }
  socket.destroy();
  return { answer, error };
}

const boundary = 'xxLINGERxx';
const headers = (framing: string) =>
  `POST /api/v1/images/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n${framing}\r\n\r\n`;
const partHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n`;
/** One chunk of a `Transfer-Encoding: chunked` body. */
const framed = (data: Buffer | string) => Buffer.concat([Buffer.from(`${Buffer.byteLength(data).toString(16)}\r\n`), Buffer.from(data), Buffer.from('\r\n')]);

describe('a refused upload still arriving', () => {
  it('past the limit mid-body (chunked): 413 at once, and the connection takes the rest without a reset', async () => {
    const head = headers('Transfer-Encoding: chunked') + framed(partHead).toString('latin1');
    const { answer, error } = await sendOnAfterAnswer(head, () => framed(CHUNK));
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(error).toBeNull();
  });

  it('declared too large (Content-Length): 413 before any of it is read, and the connection takes the rest without a reset', async () => {
    const { answer, error } = await sendOnAfterAnswer(headers(`Content-Length: ${64 * 1024 * 1024}`) + partHead, () => CHUNK);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(error).toBeNull();
  });
});
