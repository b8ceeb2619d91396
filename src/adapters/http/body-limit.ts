import type { Socket } from 'node:net';
import type { Context } from 'koa';

/** How long a refused body may go on arriving after the answer, so the client can read it, before the socket is closed. */
const LINGER_MS = 2_000;

/**
 * Counts the request body as it arrives and rejects `exceeded` with `refusal()` the moment it passes
 * `maxBytes`: the answer goes out while the client is still sending, rather than after the whole
 * body was read (multer drains a refused body to its end). The connection then closes after the answer
 * (see {@link closeAfterAnswer}).
 */
export function watchBodySize(ctx: Context, maxBytes: number, refusal: () => Error): { exceeded: Promise<never>; stop(): void } {
  const { req } = ctx;
  let received = 0;
  let refuse!: (error: Error) => void;
  const exceeded = new Promise<never>((_, reject) => (refuse = reject));
  exceeded.catch(() => undefined); // only ever raced: never left unhandled
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received <= maxBytes) return;
    stop();
    closeAfterAnswer(ctx);
    refuse(refusal());
  };
  const stop = () => req.off('data', onData);
  req.on('data', onData);
  return { exceeded, stop };
}

/**
 * Answers with `Connection: close`, for a request whose body will not be read to its end, and closes
 * the connection the way nginx does (a lingering close). Node alone would close the socket as soon as
 * the answer is written (`destroySoon`), while the client may still be sending: the client's kernel
 * then gets a reset for its next bytes, and the client may fail with EPIPE or ECONNRESET before it has
 * read the answer. Here the server ends its side once the answer is written, goes on taking whatever
 * still arrives, and closes when the client does, or after LINGER_MS.
 */
export function closeAfterAnswer(ctx: Context): void {
  ctx.set('Connection', 'close');
  const socket: Socket = ctx.req.socket;
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(timer));
  };
}
