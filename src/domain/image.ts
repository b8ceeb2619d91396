import type { ImageFormat } from './image-format.js';

export type ThumbnailStatus = 'pending' | 'processing' | 'ready' | 'failed';

/** One stored thumbnail: the box edge it was made for, its real dimensions and where it lives. */
export interface Rendition {
  readonly size: number;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly contentType: string;
  readonly key: string;
  /** SHA-256 (hex) of the rendition's bytes: its strong ETag. */
  readonly sha256: string;
}

export interface ThumbnailState {
  readonly status: ThumbnailStatus;
  readonly renditions: readonly Rendition[];
  /** Attempts made so far (0 until a job first runs). */
  readonly attempts: number;
  /** Stable code of the last failure, null when none. */
  readonly lastError: string | null;
  readonly nextRetryAt: Date | null;
  /** A ThumbHash (base64) to paint before the thumbnail loads; null until the first rendering. */
  readonly placeholder: string | null;
}

export interface ImageProps {
  readonly id: string;
  /** The client's filename, for display only: never used to build a storage key. */
  readonly filename: string;
  readonly format: ImageFormat;
  readonly contentType: string;
  readonly sizeBytes: number;
  /** SHA-256 (hex) of the original bytes: its strong ETag, and its content address in storage. */
  readonly checksum: string;
  readonly width: number;
  readonly height: number;
  readonly originalKey: string;
  readonly deleteTokenHash: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly thumbnail: ThumbnailState;
  /** Optimistic-concurrency version: bumped by every successful repository update. */
  readonly version: number;
}

/** The Image aggregate. Immutable: every transition returns a new Image. */
export class Image {
  private constructor(readonly props: ImageProps) {}

  static create(props: Omit<ImageProps, 'thumbnail' | 'version' | 'updatedAt'>): Image {
    return new Image({
      ...props,
      updatedAt: props.createdAt,
      version: 1,
      thumbnail: { status: 'pending', renditions: [], attempts: 0, lastError: null, nextRetryAt: null, placeholder: null },
    });
  }

  /** Rebuilds an Image from stored state (repositories only). */
  static restore(props: ImageProps): Image {
    return new Image(props);
  }

  get id(): string {
    return this.props.id;
  }

  get thumbnail(): ThumbnailState {
    return this.props.thumbnail;
  }

  get thumbnailReady(): boolean {
    return this.props.thumbnail.status === 'ready';
  }

  /** Every storage key this image references: the original and each rendition (shared with same-bytes uploads). */
  storageKeys(): string[] {
    return [this.props.originalKey, ...this.props.thumbnail.renditions.map((r) => r.key)];
  }

  rendition(size: number): Rendition | undefined {
    return this.props.thumbnail.renditions.find((r) => r.size === size);
  }

  startProcessing(now: Date, attempt: number): Image {
    return this.withThumbnail(now, { ...this.thumbnail, status: 'processing', attempts: attempt, nextRetryAt: null });
  }

  completeThumbnails(now: Date, renditions: readonly Rendition[], placeholder: string): Image {
    return this.withThumbnail(now, { ...this.thumbnail, status: 'ready', renditions, placeholder, lastError: null, nextRetryAt: null });
  }

  /** A failure that will be retried at `nextRetryAt`: the image goes back to pending. */
  scheduleRetry(now: Date, errorCode: string, nextRetryAt: Date): Image {
    return this.withThumbnail(now, { ...this.thumbnail, status: 'pending', lastError: errorCode, nextRetryAt });
  }

  /** Back to pending with a fresh budget of attempts (an operator's retry); renditions already made stay. */
  requeueThumbnails(now: Date): Image {
    return this.withThumbnail(now, { ...this.thumbnail, status: 'pending', attempts: 0, lastError: null, nextRetryAt: null });
  }

  failThumbnails(now: Date, errorCode: string): Image {
    return this.withThumbnail(now, { ...this.thumbnail, status: 'failed', lastError: errorCode, nextRetryAt: null });
  }

  private withThumbnail(now: Date, thumbnail: ThumbnailState): Image {
    return new Image({ ...this.props, thumbnail, updatedAt: now });
  }
}
