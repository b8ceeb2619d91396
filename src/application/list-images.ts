import { InvalidParameterError } from '../domain/errors.js';
import type { ThumbnailStatus } from '../domain/image.js';
import type { ImagePage, ImageRepository } from '../ports/image-repository.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** Images newest first, a page at a time. Rejects with InvalidParameterError for a bad limit or cursor. */
export class ListImages {
  constructor(private readonly images: ImageRepository) {}

  async execute(query: { limit?: number; cursor?: string | null; thumbnailStatus?: ThumbnailStatus }): Promise<ImagePage> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new InvalidParameterError('limit', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    }
    const { thumbnailStatus } = query;
    return this.images.list({ limit, cursor: query.cursor ?? null, ...(thumbnailStatus ? { thumbnailStatus } : {}) });
  }
}
