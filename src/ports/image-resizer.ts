import type { Dimensions } from '../domain/thumbnail-size.js';
import type { ImageFormat } from '../domain/image-format.js';

export interface ImageInfo extends Dimensions {
  /** Sniffed from the bytes, never taken from the client. */
  readonly format: ImageFormat;
}

export type RenditionFormat = 'jpeg' | 'webp' | 'avif';

export interface RenderOptions {
  /** Box edges, e.g. [150, 300, 600]; each output fits inside edge × edge and is never upscaled. */
  readonly sizes: readonly number[];
  readonly format: RenditionFormat;
  /** 1 to 100. */
  readonly quality: number;
  /**
   * What probe() said of these same bytes, when the caller already knows it (GenerateThumbnails: the
   * original was probed at upload and is stored under its checksum); the header is then not read again.
   */
  readonly source?: ImageInfo;
}

export interface RenderedImage extends Dimensions {
  readonly size: number;
  readonly contentType: string;
  readonly data: Uint8Array;
}

export interface RenderResult {
  /** One per requested size, in the order asked. */
  readonly renditions: RenderedImage[];
  /** A ThumbHash of the image (base64, about 25–35 characters), for a blurred preview before the thumbnail loads. */
  readonly placeholder: string;
}

/**
 * Reads and resizes images. Implementations bound decode work (pixels, time) and translate decoder
 * failures into domain errors.
 */
export interface ImageResizer {
  /**
   * Reads only the header. Dimensions are as displayed (EXIF orientation applied).
   * Rejects with UnsupportedMediaTypeError (not an accepted format) or InvalidImageError (unreadable).
   */
  probe(bytes: Uint8Array): Promise<ImageInfo>;
  /**
   * Decodes once and derives every size and the placeholder: EXIF orientation applied, alpha
   * flattened on white, metadata stripped. One output per requested size, in the order given.
   * Rejects with InvalidImageError (cannot be decoded), ImageTooLargeError (over the pixel limit,
   * checked before decoding), UnsupportedMediaTypeError or InvalidParameterError (a bad size).
   */
  render(bytes: Uint8Array, options: RenderOptions): Promise<RenderResult>;
}

export const ImageResizer = Symbol.for('imagehost.ImageResizer');
