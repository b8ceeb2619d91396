/* eslint-disable @typescript-eslint/require-await -- async so that failures reach callers as rejections, as with a real database */
import { Image } from '../../domain/image.js';
import { pageCursor, type PageCursor } from '../../domain/page-cursor.js';
import type { ImagePage, ImageRepository, ListQuery, StaleQuery } from '../../ports/image-repository.js';
import { DuplicateImageError } from '../../domain/errors.js';
import { KeyedMutex } from '../locking/keyed-mutex.js';

/**
 * ImageRepository in a Map, for tests (the project's and library users'). Passes the same contract
 * suite as the database adapter: same ordering, cursors, version checks and errors.
 */
export class InMemoryImageRepository implements ImageRepository {
  private readonly images = new Map<string, Image>();
  private readonly locks = new KeyedMutex();

  /** Rejects with DuplicateImageError when the id is already stored. */
  async add(image: Image): Promise<void> {
    if (this.images.has(image.id)) throw new DuplicateImageError(image.id);
    this.images.set(image.id, image);
  }

  async findById(id: string): Promise<Image | null> {
    return this.images.get(id) ?? null;
  }

  async update(image: Image): Promise<Image | null> {
    const stored = this.images.get(image.id);
    if (!stored || stored.props.version !== image.props.version) return null;
    const next = Image.restore({ ...image.props, version: image.props.version + 1 });
    this.images.set(image.id, next);
    return next;
  }

  async delete(id: string): Promise<boolean> {
    return this.images.delete(id);
  }

  async findByChecksum(checksum: string): Promise<Image[]> {
    return [...this.images.values()].filter((image) => image.props.checksum === checksum);
  }

  async findStale({ statuses, updatedBefore, limit }: StaleQuery): Promise<Image[]> {
    const horizon = updatedBefore.getTime();
    const stale = [...this.images.values()].filter(({ props, thumbnail }) =>
      statuses.includes(thumbnail.status) &&
      props.updatedAt.getTime() < horizon &&
      (thumbnail.nextRetryAt === null || thumbnail.nextRetryAt.getTime() < horizon),
    );
    const byUpdatedAt = (a: Image, b: Image) =>
      a.props.updatedAt.getTime() - b.props.updatedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return stale.sort(byUpdatedAt).slice(0, limit);
  }

  withChecksumLock<T>(checksum: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(checksum, work);
  }

  async list(query: ListQuery): Promise<ImagePage> {
    const after = query.cursor === null ? null : pageCursor.decode(query.cursor);
    const matching = [...this.images.values()].filter(
      (image) => query.thumbnailStatus === undefined || image.thumbnail.status === query.thumbnailStatus,
    );
    const newestFirst = matching.sort((a, b) => compare(positionOf(b), positionOf(a)));
    const remaining = after ? newestFirst.filter((image) => compare(positionOf(image), after) < 0) : newestFirst;
    const items = remaining.slice(0, query.limit);
    const last = items.at(-1);
    const nextCursor = remaining.length > query.limit && last ? pageCursor.encode(positionOf(last)) : null;
    return { items, nextCursor };
  }
}

function positionOf(image: Image): PageCursor {
  return { createdAt: image.props.createdAt, id: image.id };
}

/** Orders by createdAt, then by id compared code unit by code unit (as SQL's binary collation does). */
function compare(a: PageCursor, b: PageCursor): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
