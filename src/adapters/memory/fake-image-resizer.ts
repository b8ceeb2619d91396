import { ImageTooLargeError, InvalidImageError, UnsupportedMediaTypeError } from '../../domain/errors.js';
import { isImageFormat, mediaTypeOf, type ImageFormat } from '../../domain/image-format.js';
import { ThumbnailSize } from '../../domain/thumbnail-size.js';
import type { ImageInfo, ImageResizer, RenderOptions, RenderResult } from '../../ports/image-resizer.js';

const MAGIC = 'FAKEIMG:';
const HEADER = /^FAKEIMG:([a-z]+):(\d{1,9})x(\d{1,9})/;

/** Bytes the {@link FakeImageResizer} reads as an image: the ASCII header `FAKEIMG:<format>:<width>x<height>`. */
export function fakeImageBytes(format: ImageFormat, width: number, height: number): Uint8Array {
  return new TextEncoder().encode(`${MAGIC}${format}:${width}x${height}`);
}

/**
 * The placeholder the {@link FakeImageResizer} gives an image of `width` × `height`: base64 of the ASCII
 * `FAKEHASH:<width>x<height>`. Deterministic, at most 40 characters (the header allows 9 digits per
 * edge), and distinct for distinct dimensions, like a real ThumbHash of differently shaped images.
 */
export function fakePlaceholder(width: number, height: number): string {
  return Buffer.from(`FAKEHASH:${width}x${height}`, 'latin1').toString('base64');
}

/**
 * An {@link ImageResizer} for fast tests without an image library. It understands only the made-up
 * format written by {@link fakeImageBytes}: anything without the `FAKEIMG:` magic is unsupported,
 * a malformed header is invalid. Renditions are fake images of the {@link ThumbnailSize.fit}
 * dimensions, so they probe back to the size and format that were asked for; the placeholder is
 * {@link fakePlaceholder} of the source dimensions.
 */
export class FakeImageResizer implements ImageResizer {
  /** @param options.maxPixels when set, render rejects larger images with ImageTooLargeError, as a real resizer does */
  constructor(private readonly options: { readonly maxPixels?: number } = {}) {}

  probe(bytes: Uint8Array): Promise<ImageInfo> {
    return Promise.resolve().then(() => parse(bytes));
  }

  render(bytes: Uint8Array, { sizes, format }: RenderOptions): Promise<RenderResult> {
    return Promise.resolve().then(() => {
      const source = parse(bytes);
      const { maxPixels } = this.options;
      const pixels = source.width * source.height;
      if (maxPixels !== undefined && pixels > maxPixels) throw new ImageTooLargeError(pixels, maxPixels);
      const renditions = sizes.map((size) => {
        const { width, height } = ThumbnailSize.of(size).fit(source);
        return { size, width, height, contentType: mediaTypeOf(format), data: fakeImageBytes(format, width, height) };
      });
      return { renditions, placeholder: fakePlaceholder(source.width, source.height) };
    });
  }
}

function parse(bytes: Uint8Array): ImageInfo {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
  if (!head.startsWith(MAGIC)) throw new UnsupportedMediaTypeError(null);
  const [, format = '', width = '', height = ''] = HEADER.exec(head) ?? [];
  if (!format) throw new InvalidImageError(`malformed fake header "${head}"`);
  if (!isImageFormat(format)) throw new UnsupportedMediaTypeError(null);
  const dimensions = { width: Number(width), height: Number(height) };
  if (dimensions.width < 1 || dimensions.height < 1) throw new InvalidImageError(`fake header declares ${width}x${height}`);
  return { format, ...dimensions };
}
