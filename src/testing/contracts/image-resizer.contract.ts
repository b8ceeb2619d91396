import { describe, expect, it } from 'vitest';
import {
  ImageTooLargeError,
  InvalidImageError,
  InvalidParameterError,
  UnsupportedMediaTypeError,
} from '../../domain/errors.js';
import { IMAGE_FORMATS, type ImageFormat } from '../../domain/image-format.js';
import { ThumbnailSize } from '../../domain/thumbnail-size.js';
import type { ImageResizer, RenditionFormat } from '../../ports/image-resizer.js';
import { svg, text } from '../sample-bytes.js';

/** Sample inputs in the implementation's own terms (real encoded images for a real resizer). */
export interface ImageResizerFixtures {
  /** A readable image of `format`, `width` × `height` pixels, no EXIF orientation. */
  image(format: ImageFormat, width: number, height: number): Promise<Uint8Array>;
  /** Bytes that claim an accepted format but whose header cannot be read. */
  corrupt(): Promise<Uint8Array>;
}

export interface ImageResizerSubject {
  readonly resizer: ImageResizer;
  readonly fixtures: ImageResizerFixtures;
}

/** Builds a fresh resizer that renders images of at most `maxPixels` pixels. */
export type ImageResizerFactory = (options: { maxPixels: number }) => ImageResizerSubject;

const ACCEPTED = Object.keys(IMAGE_FORMATS) as ImageFormat[];
const RENDITION_FORMATS: RenditionFormat[] = ['jpeg', 'webp', 'avif'];
const NOT_IMAGES: Record<string, Uint8Array> = {
  SVG: svg(),
  HTML: text('<!doctype html><html><body><img src="x"></body></html>'),
  'plain text': text('hello, this is not an image'),
  'empty bytes': new Uint8Array(0),
};
const JPEG = { format: 'jpeg', quality: 80 } as const;
/** Non-empty, padded standard base64. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
/** A ThumbHash is at most 25 bytes, 36 characters in base64; a little headroom for other encodings. */
const MAX_PLACEHOLDER_LENGTH = 40;

/** The behaviour every ImageResizer must show; see the port's TSDoc. */
export function imageResizerContract(name: string, factory: ImageResizerFactory): void {
  describe(`${name} (ImageResizer contract)`, () => {
    const subject = (maxPixels = 10_000_000) => factory({ maxPixels });

    describe('probe', () => {
      it.each(ACCEPTED)('reads the format and dimensions of a %s', async (format) => {
        const { resizer, fixtures } = subject();
        await expect(resizer.probe(await fixtures.image(format, 64, 48))).resolves.toEqual({ format, width: 64, height: 48 });
      });

      it('reports dimensions above the pixel limit instead of rejecting (the caller decides)', async () => {
        const { resizer, fixtures } = subject(1000);
        await expect(resizer.probe(await fixtures.image('png', 64, 48))).resolves.toMatchObject({ width: 64, height: 48 });
      });

      it.each(Object.entries(NOT_IMAGES))('rejects %s as an unsupported media type', async (_, bytes) => {
        await expect(subject().resizer.probe(bytes)).rejects.toThrow(UnsupportedMediaTypeError);
      });

      it('rejects an unreadable header as an invalid image', async () => {
        const { resizer, fixtures } = subject();
        await expect(resizer.probe(await fixtures.corrupt())).rejects.toThrow(InvalidImageError);
      });
    });

    describe('render', () => {
      it.each([
        { source: [640, 480], size: 300, expected: [300, 225] },
        { source: [480, 640], size: 300, expected: [225, 300] },
        { source: [100, 80], size: 300, expected: [100, 80] },
        { source: [1000, 1], size: 300, expected: [300, 1] },
        { source: [1200, 900], size: 150, expected: [150, 113] },
      ])('renders $source.0×$source.1 in a $size box as $expected.0×$expected.1', async ({ source, size, expected }) => {
        const { resizer, fixtures } = subject();
        const [width = 0, height = 0] = source;
        const { renditions } = await resizer.render(await fixtures.image('png', width, height), { ...JPEG, sizes: [size] });
        expect(renditions.map((r) => [r.size, r.width, r.height])).toEqual([[size, ...expected]]);
        expect({ width: expected[0], height: expected[1] }).toEqual(ThumbnailSize.of(size).fit({ width, height }));
      });

      it('returns one rendition per size, in the order asked', async () => {
        const { resizer, fixtures } = subject();
        const sizes = [600, 150, 300];
        const { renditions } = await resizer.render(await fixtures.image('jpeg', 1200, 900), { ...JPEG, sizes });
        expect(renditions.map((r) => [r.size, r.width, r.height])).toEqual([
          [600, 600, 450],
          [150, 150, 113],
          [300, 300, 225],
        ]);
      });

      it.each(ACCEPTED)('renders a %s', async (format) => {
        const { resizer, fixtures } = subject();
        const {
          renditions: [rendered],
        } = await resizer.render(await fixtures.image(format, 120, 90), { ...JPEG, sizes: [60] });
        expect(rendered).toMatchObject({ size: 60, width: 60, height: 45 });
      });

      it.each(RENDITION_FORMATS)('encodes %s with its media type, readable back at the rendered size', async (format) => {
        const { resizer, fixtures } = subject();
        const {
          renditions: [rendered],
        } = await resizer.render(await fixtures.image('png', 64, 48), { format, quality: 80, sizes: [32] });
        expect(rendered?.contentType).toBe(IMAGE_FORMATS[format]);
        await expect(resizer.probe(rendered?.data ?? new Uint8Array())).resolves.toEqual({ format, width: 32, height: 24 });
      });

      it('renders the same given what probe() said of the bytes (no second header read), and still refuses a non-image', async () => {
        const { resizer, fixtures } = subject();
        const bytes = await fixtures.image('jpeg', 120, 90);
        const options = { ...JPEG, sizes: [60, 30] };
        const probed = await resizer.render(bytes, options);
        const known = await resizer.render(bytes, { ...options, source: await resizer.probe(bytes) });
        expect(known.renditions.map(({ size, width, height }) => ({ size, width, height }))).toEqual(
          probed.renditions.map(({ size, width, height }) => ({ size, width, height })),
        );
        expect(known.placeholder).toBe(probed.placeholder);
        await expect(resizer.render(svg(), { ...options, source: { format: 'png', width: 10, height: 10 } })).rejects.toThrow(UnsupportedMediaTypeError);
      });

      it('returns no rendition, but still a placeholder, when no size is asked', async () => {
        const { resizer, fixtures } = subject();
        const result = await resizer.render(await fixtures.image('png', 64, 48), { ...JPEG, sizes: [] });
        expect(result.renditions).toEqual([]);
        expect(result.placeholder).toMatch(BASE64);
      });

      it('rejects an image above the pixel limit with ImageTooLargeError', async () => {
        const { resizer, fixtures } = subject(64 * 48 - 1);
        await expect(resizer.render(await fixtures.image('png', 64, 48), { ...JPEG, sizes: [32] })).rejects.toThrow(ImageTooLargeError);
      });

      it('renders an image exactly at the pixel limit', async () => {
        const { resizer, fixtures } = subject(64 * 48);
        const result = await resizer.render(await fixtures.image('png', 64, 48), { ...JPEG, sizes: [32] });
        expect(result.renditions).toHaveLength(1);
      });

      it('rejects unreadable bytes with InvalidImageError and non-images with UnsupportedMediaTypeError', async () => {
        const { resizer, fixtures } = subject();
        await expect(resizer.render(await fixtures.corrupt(), { ...JPEG, sizes: [32] })).rejects.toThrow(InvalidImageError);
        await expect(resizer.render(svg(), { ...JPEG, sizes: [32] })).rejects.toThrow(UnsupportedMediaTypeError);
      });

      it('rejects a size outside the allowed range', async () => {
        const { resizer, fixtures } = subject();
        await expect(resizer.render(await fixtures.image('png', 64, 48), { ...JPEG, sizes: [5] })).rejects.toThrow(InvalidParameterError);
      });
    });

    describe('placeholder', () => {
      it.each(ACCEPTED)('renders a short base64 placeholder of a %s', async (format) => {
        const { resizer, fixtures } = subject();
        const { placeholder } = await resizer.render(await fixtures.image(format, 120, 90), { ...JPEG, sizes: [60] });
        expect(placeholder).toMatch(BASE64);
        expect(placeholder.length).toBeLessThanOrEqual(MAX_PLACEHOLDER_LENGTH);
      });

      it('gives the same placeholder for the same input', async () => {
        const { resizer, fixtures } = subject();
        const bytes = await fixtures.image('jpeg', 160, 120);
        const first = await resizer.render(bytes, { ...JPEG, sizes: [150, 300] });
        const again = await resizer.render(bytes, { ...JPEG, sizes: [150, 300] });
        expect(again.placeholder).toBe(first.placeholder);
      });

      it('gives differently shaped images different placeholders', async () => {
        const { resizer, fixtures } = subject();
        const landscape = await resizer.render(await fixtures.image('png', 200, 100), { ...JPEG, sizes: [150] });
        const portrait = await resizer.render(await fixtures.image('png', 100, 200), { ...JPEG, sizes: [150] });
        expect(landscape.placeholder).not.toBe(portrait.placeholder);
      });
    });
  });
}
