import { requeue, type RequeueDependencies } from './retry-thumbnails.js';

const PAGE_SIZE = 100;

/**
 * Re-queues every image whose thumbnails failed, as background work so fresh uploads keep priority.
 * Resolves with how many were queued.
 */
export class RetryFailedThumbnails {
  constructor(private readonly deps: RequeueDependencies) {}

  async execute(): Promise<number> {
    let queued = 0;
    let cursor: string | null = null;
    do {
      // Keyset pages stay exact while earlier images leave the failed set.
      const page = await this.deps.images.list({ limit: PAGE_SIZE, cursor, thumbnailStatus: 'failed' });
      for (const image of page.items) {
        await requeue(image, this.deps, 'background');
        queued++;
      }
      cursor = page.nextCursor;
    } while (cursor);
    return queued;
  }
}
