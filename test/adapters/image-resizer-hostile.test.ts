import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SharpImageResizer } from '../../src/adapters/sharp/sharp-image-resizer.js';
import { ImageTooLargeError, InvalidImageError } from '../../src/domain/errors.js';
import type { RenditionFormat } from '../../src/ports/image-resizer.js';
import {
  avifBomb,
  blackPng,
  gifBomb,
  GPS_LATITUDE,
  gpsLatitudeIn,
  jpegBomb,
  jpegWithGps,
  pngBomb,
  tiffBomb,
  webpBomb,
} from '../support/hostile-images.js';
import * as sample from '../support/sample-images.js';

/** SharpImageResizer against hostile inputs: decompression bombs, a decode that outlasts its time budget, location metadata. */
const MAX_PIXELS = 100_000_000;
const resizer = new SharpImageResizer({ maxPixels: MAX_PIXELS, timeoutSeconds: 30 });

describe('decompression bombs of every format (a tiny file declaring a huge image)', () => {
  it.each([
    ['png', 'IHDR', () => pngBomb(65_535, 65_535), 65_535, 65_535],
    ['jpeg', 'SOF0', () => jpegBomb(65_500, 65_500), 65_500, 65_500],
    ['gif', 'logical screen and frame', () => gifBomb(65_535, 65_535), 65_535, 65_535],
    ['webp', 'VP8 frame', () => webpBomb(16_383, 16_383), 16_383, 16_383],
    ['webp', 'VP8X canvas and VP8 frame', () => webpBomb(16_383, 16_383, { width: 16_383, height: 16_383 }), 16_383, 16_383],
    ['avif', 'ispe', () => avifBomb(65_535, 65_535), 65_535, 65_535],
    // Beyond libvips' coordinate limit, which would report 1 × 1: the adapter reads ispe itself.
    ['avif', 'ispe beyond 100000000', () => avifBomb(1e9, 1e9), 1e9, 1e9],
    ['tiff', 'ImageWidth/ImageLength', () => tiffBomb(65_535, 65_535), 65_535, 65_535],
    ['tiff', 'ImageWidth/ImageLength', () => tiffBomb(1e6, 1e6), 1e6, 1e6],
  ] as const)(
    '%s (%s): probe reports the declared %i×%i, render refuses with ImageTooLargeError before decoding',
    // Decoding billions of pixels would take minutes: finishing inside this timeout shows nothing was decoded.
    { timeout: 2_000 },
    async (format, _field, make, width, height) => {
      const bytes = await make();
      expect(bytes.length).toBeLessThan(1_000);
      await expect(resizer.probe(bytes)).resolves.toEqual({ format, width, height });
      const rendering = resizer.render(bytes, { sizes: [150], format: 'jpeg', quality: 85 });
      await expect(rendering).rejects.toThrow(ImageTooLargeError);
      await expect(rendering).rejects.toMatchObject({ pixels: width * height, maxPixels: MAX_PIXELS });
    },
  );

  it.each([
    ['a WebP VP8X canvas of 16384×16384 over a 16×16 frame', () => webpBomb(16, 16, { width: 16_384, height: 16_384 })],
    ['a TIFF of 1000000000×1000000000', () => tiffBomb(1e9, 1e9)],
  ])('%s: the header itself is refused (InvalidImageError)', { timeout: 2_000 }, async (_name, make) => {
    await expect(resizer.probe(await make())).rejects.toThrow(InvalidImageError);
  });
});

describe('the decode time budget (timeoutSeconds, DECODE_TIMEOUT_SECONDS)', () => {
  // 65535 × 65535 black pixels in 12 MB: inflating and shrinking its 12.9 GB of rows takes ~4 s here.
  const slow = blackPng(65_535, 65_535);

  it('stops a decode that outlasts timeoutSeconds: InvalidImageError naming the timeout, the decode unfinished', { timeout: 10_000 }, async () => {
    const patient = new SharpImageResizer({ maxPixels: 5_000_000_000, timeoutSeconds: 1 });
    await expect(patient.probe(slow)).resolves.toEqual({ format: 'png', width: 65_535, height: 65_535 });
    // libvips checks the budget as output strips complete: a 600-px base gives it a strip every few percent.
    const rendering = patient.render(slow, { sizes: [600], format: 'jpeg', quality: 85 });
    await expect(rendering).rejects.toThrow(InvalidImageError);
    const error = (await rendering.catch((e: unknown) => e)) as InvalidImageError;
    const [, percent] = /timeout: (\d+)% complete/.exec(error.message) ?? [];
    expect(Number(percent)).toBeLessThan(100);
  });
});

describe('location metadata never reaches a rendition', () => {
  const withGps = sample.jpeg(400, 200).then(jpegWithGps);

  it('the fixture really carries a GPS IFD and an XMP packet', async () => {
    const metadata = await sharp(await withGps).metadata();
    expect(gpsLatitudeIn(metadata.exif)).toEqual([...GPS_LATITUDE]);
    expect(metadata.xmpAsString).toContain('exif:GPSLatitude="48,51.4966N"');
  });

  it.each(['jpeg', 'webp', 'avif'] as RenditionFormat[])('%s renditions of every size carry no EXIF and no XMP', async (format) => {
    const { renditions } = await resizer.render(await withGps, { sizes: [150, 300, 600], format, quality: 80 });
    expect(renditions.map((rendition) => rendition.size)).toEqual([150, 300, 600]);
    for (const rendition of renditions) {
      const metadata = await sharp(rendition.data).metadata();
      expect([metadata.format, metadata.width]).toEqual([format === 'avif' ? 'heif' : format, rendition.width]);
      expect([metadata.exif, metadata.xmp, metadata.iptc]).toEqual([undefined, undefined, undefined]);
      const text = Buffer.from(rendition.data).toString('latin1');
      for (const marker of ['Exif\0\0', 'adobe:ns:meta', 'Spycam']) expect(text).not.toContain(marker);
    }
  });
});
