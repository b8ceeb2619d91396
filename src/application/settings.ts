import type { RenditionFormat } from '../ports/image-resizer.js';

export interface UploadLimits {
  /** Largest accepted file, in bytes. */
  readonly maxUploadBytes: number;
  /** Largest accepted width × height, checked from the header before any decode. */
  readonly maxPixels: number;
}

export interface ThumbnailSettings {
  /** Box edges to render, e.g. [300]. The first is the default served size. */
  readonly sizes: readonly number[];
  readonly format: RenditionFormat;
  readonly quality: number;
  /** Tries per thumbnail job, the first included. */
  readonly attempts: number;
  /** Base of the exponential retry backoff, in ms. */
  readonly backoffMs: number;
}
