import { PassThrough } from 'node:stream';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { ImageEvent, ImageEvents } from '../../ports/image-events.js';

export interface EventRoutesDependencies {
  readonly events: ImageEvents;
  /** Resolves for a known image; throws ImageNotFoundError (a 404 through errorMiddleware) otherwise. */
  readonly getImage: (id: string) => Promise<unknown>;
  /** How often a `: ping` comment keeps proxies and clients from timing out an idle stream. Default 15 s. */
  readonly heartbeatMs?: number;
}

const DEFAULT_HEARTBEAT_MS = 15_000;

/**
 * Live updates as Server-Sent Events:
 * - `GET /api/v1/images/:id/events`: the events of one image (404 JSON error for an unknown id);
 * - `GET /api/v1/events`: every event of every image.
 *
 * Each event is one frame, `event: <type>\ndata: <json>\n\n`, the JSON in snake_case:
 * `{"type","image_id","at"}`, plus `"status"` and `"error"` for `thumbnails.updated`. A `: ping`
 * comment comes every heartbeatMs. There is no replay and no snapshot: a stream carries only events
 * published after it opened, so a client that needs the current state opens the stream first and
 * GETs the image once the stream is open (the response headers arrive, with an initial `: open`
 * comment, only after the subscription is in place), then applies events on top.
 *
 * The stream ends, and its subscription is released, when the client disconnects.
 */
export function eventRoutes(deps: EventRoutesDependencies): Router {
  const heartbeatMs = deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const router = new Router();

  router.get('/api/v1/images/:id/events', async (ctx) => {
    const imageId = ctx.params.id ?? '';
    await deps.getImage(imageId);
    openStream(ctx, deps.events, heartbeatMs, (event) => event.imageId === imageId);
  });

  router.get('/api/v1/events', (ctx) => {
    openStream(ctx, deps.events, heartbeatMs, () => true);
  });

  return router;
}

function openStream(ctx: Context, events: ImageEvents, heartbeatMs: number, wanted: (event: ImageEvent) => boolean): void {
  const body = new PassThrough();
  // An SSE stream is idle most of the time: no socket timeout, and each small frame sent at once.
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.req.socket.setKeepAlive(true);

  ctx.status = 200;
  ctx.body = body;
  ctx.set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-store',
    'Connection': 'keep-alive',
    'X-Accel-Buffering': 'no', // nginx: pass frames through instead of buffering the response
  });
  ctx.compress = false; // koa-compress, if ever mounted, would hold frames back in its buffer

  const write = (chunk: string) => {
    if (!body.writableEnded && !body.destroyed) body.write(chunk);
  };
  const unsubscribe = events.subscribe((event) => {
    if (wanted(event)) write(frame(event));
  });
  const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(heartbeat);
    unsubscribe();
    if (!body.writableEnded) body.end();
  };
  // The client went away: the request closes; Koa also destroys the body once the response closes.
  ctx.req.once('close', stop);
  body.once('close', stop);
  if (ctx.req.destroyed) {
    stop();
    return;
  }
  // Sends the headers now, so the client knows the subscription is in place before any event.
  write(': open\n\n');
}

/** One SSE frame; JSON.stringify never emits a raw newline, so `data` is always a single line. */
function frame(event: ImageEvent): string {
  const data =
    event.type === 'thumbnails.updated'
      ? { type: event.type, image_id: event.imageId, status: event.status, error: event.error, at: event.at }
      : { type: event.type, image_id: event.imageId, at: event.at };
  return `event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`;
}
