import type { Image } from '../domain/image.js';
import type { ImageEvent, ImageEvents } from '../ports/image-events.js';

/** Live events are best effort: a failed publish never fails the work that caused it. */
export async function announce(events: ImageEvents, event: ImageEvent): Promise<void> {
  await events.publish(event).catch(() => undefined);
}

export function announceThumbnails(events: ImageEvents, image: Image): Promise<void> {
  const { status, lastError } = image.thumbnail;
  return announce(events, { type: 'thumbnails.updated', imageId: image.id, status, error: lastError, at: image.props.updatedAt.toISOString() });
}
