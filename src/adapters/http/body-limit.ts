import type { Context } from 'koa';

/** How long a refused body may go on arriving after the answer, so the client can read it, before the socket is closed. */
const LINGER_MS = 2_000;

/**
 * Counts the request body as it arrives and rejects `exceeded` with `refusal()` the moment it passes
 * `maxBytes`: the answer goes out while the client is still sending, rather than after the whole
 * body was read (multer drains a refused body to its end). The connection then closes: at once when the
 * body has ended, else after a short linger (as nginx does) that lets the client read the answer first.
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
    ctx.set('Connection', 'close');
    ctx.res.once('finish', () => {
      if (req.readableEnded) return;
      setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
    });
    refuse(refusal());
  };
  const stop = () => req.off('data', onData);
  req.on('data', onData);
  return { exceeded, stop };
}
