import type { Image, ThumbnailStatus } from '../domain/image.js';

export interface ImagePage {
  readonly items: readonly Image[];
  /** Opaque cursor for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface ListQuery {
  /** 1 to 100. */
  readonly limit: number;
  /** A `nextCursor` from a previous page, or null for the first page. */
  readonly cursor: string | null;
  /** Only images whose thumbnail work is in this state (e.g. `failed`); all images when absent. */
  readonly thumbnailStatus?: ThumbnailStatus;
}

/** What {@link ImageRepository.findStale} looks for. */
export interface StaleQuery {
  /** Thumbnail states to look in, e.g. `['pending', 'processing']`; an empty list finds nothing. */
  readonly statuses: readonly ThumbnailStatus[];
  /** The staleness horizon (now minus the threshold): only images quiet since before this instant. */
  readonly updatedBefore: Date;
  /** At most this many images (a positive whole number). */
  readonly limit: number;
}

/**
 * Image metadata. Every method is safe to call concurrently from many processes: `update` is
 * optimistic (compare-and-set on `version`), `delete` tells whether this caller removed the row.
 */
export interface ImageRepository {
  /** Inserts a new image (its id is fresh; inserting an existing id rejects). */
  add(image: Image): Promise<void>;
  /** The image, or null when none has this id. */
  findById(id: string): Promise<Image | null>;
  /**
   * Writes `image` if the stored row still has `image.props.version`; returns the stored image
   * (version + 1), or null when the row was deleted or changed by someone else meanwhile. An image
   * changes only in what its transitions change, its thumbnail state and `updatedAt`: the rest is
   * fixed at `add`, and an adapter need not write it again.
   */
  update(image: Image): Promise<Image | null>;
  /** Deletes the row; true if this call deleted it, false if it was already gone. */
  delete(id: string): Promise<boolean>;
  /**
   * Newest first (by createdAt, then id). A cursor from this method stays valid while images are
   * added or removed. Rejects with InvalidParameterError for a malformed cursor.
   */
  list(query: ListQuery): Promise<ImagePage>;
  /** Every image whose original has this SHA-256 (uploads of identical bytes share their objects). */
  findByChecksum(checksum: string): Promise<Image[]>;
  /**
   * Images whose thumbnail work nothing will move on its own any more: status in `statuses`,
   * `updatedAt` strictly before `updatedBefore`, and no retry still due. A pending image whose
   * `nextRetryAt` is at or after `updatedBefore` belongs to a scheduled retry and is left out; once
   * that retry is overdue by as long as the threshold, it is stale too. Put simply: the later of
   * `updatedAt` and `nextRetryAt` is before `updatedBefore`.
   *
   * Oldest `updatedAt` first (then id), at most `limit`. Read-only: nothing is claimed or changed, so
   * several processes may look at once (what they do about it must be idempotent, e.g. a job id).
   */
  findStale(query: StaleQuery): Promise<Image[]>;
  /**
   * Runs `work` while no other caller, in any process sharing this repository, runs work for the same
   * checksum. Writers and collectors of shared objects use it so that "is anyone still using these
   * objects?" and "I now use them" never interleave. Resolves with what `work` resolves.
   */
  withChecksumLock<T>(checksum: string, work: () => Promise<T>): Promise<T>;
}

export const ImageRepository = Symbol.for('imagehost.ImageRepository');
