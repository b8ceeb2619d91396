import type { ThumbnailStatus } from '../domain/image.js';

/** What happened to an image; `thumbnails` events carry the new thumbnail state. */
export type ImageEvent =
  | { readonly type: 'image.created'; readonly imageId: string; readonly at: string }
  | { readonly type: 'image.deleted'; readonly imageId: string; readonly at: string }
  | {
      readonly type: 'thumbnails.updated';
      readonly imageId: string;
      readonly status: ThumbnailStatus;
      /** The failure code when status is failed (or a retry is pending), else null. */
      readonly error: string | null;
      readonly at: string;
    };

export type ImageEventListener = (event: ImageEvent) => void;

/**
 * Live notifications about images, for Server-Sent Events. Best effort and fire-and-forget: a
 * publish never fails the operation that caused it, and a subscriber only sees events published
 * after it subscribed. Implementations that span processes (Redis) deliver every event to every
 * subscriber in every process.
 */
export interface ImageEvents {
  /** Resolves once the event is handed to the transport; rejects only on transport failure. */
  publish(event: ImageEvent): Promise<void>;
  /** Calls `listener` for every event from now on; returns the function that stops it. */
  subscribe(listener: ImageEventListener): () => void;
  /** Stops delivery and releases connections. Idempotent. */
  close(): Promise<void>;
}

export const ImageEvents = Symbol.for('imagehost.ImageEvents');
