import { Redis } from 'ioredis';
import type { ThumbnailStatus } from '../../domain/image.js';
import type { ImageEvent, ImageEventListener, ImageEvents } from '../../ports/image-events.js';
import type { Logger } from '../../ports/logger.js';

export interface RedisImageEventsOptions {
  /** Where Redis is, e.g. `redis://127.0.0.1:6379`. */
  readonly url: string;
  /** The Redis Pub/Sub channel every process of one deployment shares, e.g. `imagehost:image-events`. */
  readonly channel: string;
  readonly logger?: Logger;
}

const THUMBNAIL_STATUSES: ReadonlySet<string> = new Set<ThumbnailStatus>(['pending', 'processing', 'ready', 'failed']);
/** How much of a malformed message goes into the warning. */
const LOGGED_MESSAGE_CHARS = 200;

/**
 * ImageEvents on Redis Pub/Sub: every event published by any process reaches every subscriber in
 * every process connected to the same channel (the publisher's own process included), in the order
 * one publisher published them. Best effort, like Pub/Sub itself: events published while a process
 * is disconnected from Redis are not replayed to it.
 *
 * Wire format: one JSON object per message, the ImageEvent as-is (camelCase), e.g.
 * `{"type":"thumbnails.updated","imageId":"…","status":"ready","error":null,"at":"…"}`.
 * Messages that are not valid events are dropped with a logged warning.
 *
 * Connections: one publisher connection, opened on the first publish(); one subscriber connection,
 * opened and subscribed to the channel lazily, on the first subscribe() or ready(), and kept
 * subscribed (even with no listeners) until close(), so processes that only publish (workers) never
 * hold a subscriber connection. Because SUBSCRIBE is asynchronous, events published in the
 * few milliseconds before the first subscription is active can be missed; a process that serves
 * live updates should await ready() at start-up to close that window.
 *
 * publish() resolves once Redis accepted the message and rejects when Redis cannot be reached
 * (after one reconnection attempt: events are not worth queueing); after close() it resolves and
 * does nothing. A throwing listener is logged and stays subscribed; the others still get the event.
 */
export class RedisImageEvents implements ImageEvents {
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;
  private subscription: Promise<void> | undefined;
  private readonly listeners = new Set<ImageEventListener>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: RedisImageEventsOptions) {
    this.publisher = this.connect('publisher', { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  async publish(event: ImageEvent): Promise<void> {
    if (this.closing) return;
    await this.publisher.publish(this.options.channel, JSON.stringify(event));
  }

  subscribe(listener: ImageEventListener): () => void {
    if (this.closing) return () => undefined;
    // A wrapper per subscription, so subscribing the same function twice gives two independent subscriptions.
    const subscription: ImageEventListener = (event) => listener(event);
    this.listeners.add(subscription);
    this.ready().catch(() => undefined); // failures are logged where they happen
    return () => {
      this.listeners.delete(subscription);
    };
  }

  /**
   * Resolves once the channel subscription is active: from then on, a subscribe() on this instance
   * gets every event published afterwards by any process. Waits for Redis if it is not reachable yet.
   */
  ready(): Promise<void> {
    if (this.closing) return Promise.reject(new Error('RedisImageEvents is closed'));
    this.subscription ??= this.openSubscription();
    return this.subscription;
  }

  /** Quits both connections; listeners get nothing more. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.listeners.clear();
      await Promise.all([closeConnection(this.publisher), this.subscriber && closeConnection(this.subscriber)]);
    })();
    return this.closing;
  }

  private async openSubscription(): Promise<void> {
    // No retry limit: SUBSCRIBE waits for Redis, and ioredis re-subscribes after every reconnection.
    const subscriber = this.connect('subscriber', { maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.options.channel) this.dispatch(message);
    });
    try {
      await subscriber.subscribe(this.options.channel);
    } catch (error) {
      if (!this.closing) this.options.logger?.warn({ err: error, channel: this.options.channel }, 'image events: subscribe failed');
      throw error;
    }
  }

  private dispatch(message: string): void {
    const event = parseImageEvent(message);
    if (!event) {
      this.options.logger?.warn(
        { channel: this.options.channel, message: message.slice(0, LOGGED_MESSAGE_CHARS) },
        'image events: ignored a malformed message',
      );
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger?.warn({ err: error, eventType: event.type, imageId: event.imageId }, 'image event listener threw');
      }
    }
  }

  private connect(role: 'publisher' | 'subscriber', settings: { lazyConnect?: boolean; maxRetriesPerRequest: number | null }): Redis {
    const connection = new Redis(this.options.url, settings);
    // Without a listener ioredis prints every failed reconnection to stderr; it reconnects on its own.
    connection.on('error', (error: unknown) => {
      this.options.logger?.warn({ err: error, role, channel: this.options.channel }, 'image events: Redis connection error');
    });
    return connection;
  }
}

/** QUIT when connected (pending replies arrive first); otherwise drop the connection and its offline queue. */
async function closeConnection(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}

/** The event a message carries, or null when it is not one (other software on the channel, a bad version). */
export function parseImageEvent(message: string): ImageEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type, imageId, at, status, error } = value as Record<string, unknown>;
  if (typeof imageId !== 'string' || typeof at !== 'string') return null;
  switch (type) {
    case 'image.created':
    case 'image.deleted':
      return { type, imageId, at };
    case 'thumbnails.updated':
      if (typeof status !== 'string' || !THUMBNAIL_STATUSES.has(status)) return null;
      if (error !== null && typeof error !== 'string') return null;
      return { type, imageId, at, status: status as ThumbnailStatus, error };
    default:
      return null;
  }
}
