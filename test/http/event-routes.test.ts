import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventRoutes } from '../../src/adapters/http/event-routes.js';
import { errorMiddleware } from '../../src/adapters/http/http-errors.js';
import { InMemoryImageEvents } from '../../src/adapters/memory/in-memory-image-events.js';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';
import { ImageNotFoundError } from '../../src/domain/errors.js';
import type { ImageEvent, ImageEventListener, ImageEvents } from '../../src/ports/image-events.js';
import { recordResponses, type ResponseRecorder } from '../support/openapi-recorder.js';

interface Frame {
  readonly event?: string;
  readonly data?: string;
  readonly comments: string[];
}

/** Reads an SSE response frame by frame (frames end with a blank line). */
class FrameReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';

  constructor(response: Response) {
    if (!response.body) throw new Error('no body');
    this.reader = response.body.getReader();
  }

  async next(): Promise<Frame> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const text = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseFrame(text);
      }
      const { done, value } = await this.reader.read();
      if (done) throw new Error(`stream ended; unparsed: ${JSON.stringify(this.buffer)}`);
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The next frame that carries an event, skipping comments (the opening one, heartbeats). */
  async nextEvent(): Promise<{ event: string | undefined; data: unknown }> {
    for (;;) {
      const frame = await this.next();
      if (frame.data !== undefined) return { event: frame.event, data: JSON.parse(frame.data) };
    }
  }
}

function parseFrame(text: string): Frame {
  const fields: { event?: string; data?: string; comments: string[] } = { comments: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) fields.comments.push(line.slice(1).trim());
    else if (line.startsWith('event: ')) fields.event = line.slice('event: '.length);
    else if (line.startsWith('data: ')) fields.data = line.slice('data: '.length);
    else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
  }
  return fields;
}

/** Wraps ImageEvents so a test can wait for the moment the route releases a subscription. */
function observeUnsubscriptions(inner: ImageEvents): { events: ImageEvents; nextUnsubscribe(): Promise<void> } {
  const waiting: Array<() => void> = [];
  const events: ImageEvents = {
    publish: (event) => inner.publish(event),
    close: () => inner.close(),
    subscribe(listener: ImageEventListener) {
      const unsubscribe = inner.subscribe(listener);
      return () => {
        unsubscribe();
        waiting.splice(0).forEach((resolve) => resolve());
      };
    },
  };
  const nextUnsubscribe = () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no subscription was released within 5 s')), 5000);
      waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  return { events, nextUnsubscribe };
}

const at = '2026-06-01T12:00:00.000Z';

describe('event routes (Server-Sent Events)', () => {
  const known = randomUUID();
  const other = randomUUID();
  let events: InMemoryImageEvents;
  let observed: ReturnType<typeof observeUnsubscriptions>;
  let server: Server;
  let baseUrl: string;
  let responses: ResponseRecorder;
  const aborts: AbortController[] = [];

  beforeEach(async () => {
    events = new InMemoryImageEvents();
    observed = observeUnsubscriptions(events);
    const app = new Koa();
    app.silent = true;
    responses = recordResponses(app);
    app.use(errorMiddleware(new MemoryLogger()));
    const getImage = (id: string) => (id === known || id === other ? Promise.resolve({ id }) : Promise.reject(new ImageNotFoundError(id)));
    const router = eventRoutes({ events: observed.events, getImage, heartbeatMs: 25 });
    app.use(router.routes());
    app.use(router.allowedMethods());
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const controller of aborts.splice(0)) controller.abort();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await events.close();
    responses.assertConforming();
  });

  async function open(path: string): Promise<{ response: Response; frames: FrameReader; abort: () => void }> {
    const controller = new AbortController();
    aborts.push(controller);
    const response = await fetch(`${baseUrl}${path}`, { signal: controller.signal });
    return { response, frames: new FrameReader(response), abort: () => controller.abort() };
  }

  it('answers an unknown image with the usual 404 JSON error, and subscribes nothing', async () => {
    const response = await fetch(`${baseUrl}/api/v1/images/${randomUUID()}/events`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: unknown } };
    expect(body.error.code).toBe('IMAGE_NOT_FOUND');
    expect(body.error.message).toEqual(expect.any(String));
    expect(events.listenerCount).toBe(0);
  });

  it('opens with the SSE headers and an initial comment, the subscription already in place', async () => {
    const { response, frames } = await open(`/api/v1/images/${known}/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('connection')).toBe('keep-alive');
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await frames.next()).toEqual({ comments: ['open'] });
    expect(events.listenerCount).toBe(1);
  });

  it("streams the image's events in snake_case, and none of other images", async () => {
    const { frames } = await open(`/api/v1/images/${known}/events`);
    const sent: ImageEvent[] = [
      { type: 'image.created', imageId: other, at },
      { type: 'thumbnails.updated', imageId: known, status: 'failed', error: 'INVALID_IMAGE', at },
      { type: 'thumbnails.updated', imageId: other, status: 'ready', error: null, at },
      { type: 'thumbnails.updated', imageId: known, status: 'ready', error: null, at },
      { type: 'image.deleted', imageId: known, at },
    ];
    for (const event of sent) await events.publish(event);

    expect(await frames.nextEvent()).toEqual({
      event: 'thumbnails.updated',
      data: { type: 'thumbnails.updated', image_id: known, status: 'failed', error: 'INVALID_IMAGE', at },
    });
    expect(await frames.nextEvent()).toEqual({
      event: 'thumbnails.updated',
      data: { type: 'thumbnails.updated', image_id: known, status: 'ready', error: null, at },
    });
    expect(await frames.nextEvent()).toEqual({ event: 'image.deleted', data: { type: 'image.deleted', image_id: known, at } });
  });

  it('streams every event of every image on /api/v1/events', async () => {
    const { response, frames } = await open('/api/v1/events');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const sent: ImageEvent[] = [
      { type: 'image.created', imageId: known, at },
      { type: 'image.created', imageId: other, at },
      { type: 'thumbnails.updated', imageId: other, status: 'processing', error: null, at },
      { type: 'image.deleted', imageId: known, at },
    ];
    for (const event of sent) await events.publish(event);
    const received = [];
    for (let i = 0; i < sent.length; i++) received.push(await frames.nextEvent());
    expect(received).toEqual([
      { event: 'image.created', data: { type: 'image.created', image_id: known, at } },
      { event: 'image.created', data: { type: 'image.created', image_id: other, at } },
      { event: 'thumbnails.updated', data: { type: 'thumbnails.updated', image_id: other, status: 'processing', error: null, at } },
      { event: 'image.deleted', data: { type: 'image.deleted', image_id: known, at } },
    ]);
  });

  it('sends a ping comment every heartbeatMs while nothing happens', async () => {
    const { frames } = await open(`/api/v1/images/${known}/events`);
    expect(await frames.next()).toEqual({ comments: ['open'] });
    expect(await frames.next()).toEqual({ comments: ['ping'] });
    expect(await frames.next()).toEqual({ comments: ['ping'] });
  });

  it('releases the subscription when the client disconnects, and later events are harmless', async () => {
    const first = await open(`/api/v1/images/${known}/events`);
    const second = await open('/api/v1/events');
    expect(events.listenerCount).toBe(2);

    const released = observed.nextUnsubscribe();
    first.abort();
    await released;
    expect(events.listenerCount).toBe(1);

    // The other stream is unaffected, and publishing to a released stream's image breaks nothing.
    const event: ImageEvent = { type: 'image.deleted', imageId: known, at };
    await events.publish(event);
    expect(await second.frames.nextEvent()).toEqual({ event: 'image.deleted', data: { type: 'image.deleted', image_id: known, at } });

    const releasedToo = observed.nextUnsubscribe();
    second.abort();
    await releasedToo;
    expect(events.listenerCount).toBe(0);
  });
});
