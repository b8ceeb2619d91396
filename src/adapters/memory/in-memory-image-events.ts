import type { ImageEvent, ImageEventListener, ImageEvents } from '../../ports/image-events.js';
import type { Logger } from '../../ports/logger.js';

/**
 * ImageEvents inside one process, for tests, library users' own tests and single-process deployments.
 * It passes the same contract suite as the Redis adapter.
 *
 * Delivery is asynchronous, on a microtask after publish() was called, in publish order: a listener
 * never runs inside the publisher's call stack, like with a real transport, so a slow or throwing
 * listener cannot hold up or break the operation that published. The listeners an event goes to are
 * those subscribed when publish() was called and still subscribed at delivery time. A listener that
 * throws is logged (when a logger is given) and stays subscribed; the others still get the event.
 *
 * publish() after close() resolves and delivers nothing: publishing is best effort, and a publish
 * racing a shutdown must not fail the operation that caused it.
 */
export class InMemoryImageEvents implements ImageEvents {
  private readonly listeners = new Set<ImageEventListener>();
  private closed = false;

  constructor(private readonly options: { readonly logger?: Logger } = {}) {}

  /** How many listeners are subscribed now (tests use it to check that subscriptions are released). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  publish(event: ImageEvent): Promise<void> {
    if (this.closed || this.listeners.size === 0) return Promise.resolve();
    const recipients = [...this.listeners];
    queueMicrotask(() => {
      for (const listener of recipients) {
        if (this.listeners.has(listener)) deliver(listener, event, this.options.logger);
      }
    });
    return Promise.resolve();
  }

  subscribe(listener: ImageEventListener): () => void {
    if (this.closed) return () => undefined;
    // A wrapper per subscription, so subscribing the same function twice gives two independent subscriptions.
    const subscription: ImageEventListener = (event) => listener(event);
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    return Promise.resolve();
  }
}

/** Calls one listener, keeping its failure away from the publisher and the other listeners. */
function deliver(listener: ImageEventListener, event: ImageEvent, logger: Logger | undefined): void {
  try {
    listener(event);
  } catch (error) {
    logger?.warn({ err: error, eventType: event.type, imageId: event.imageId }, 'image event listener threw');
  }
}
