import { beforeAll, describe, expect, it } from 'vitest';
import { avifBomb, gifBomb, jpegBomb, pngBomb, tiffBomb, webpBomb } from '../support/hostile-images.js';
import { serverWithSentinel } from '../support/sentinel.js';
import { uploadFile, type TestServer } from '../support/test-server.js';

/**
 * Decompression bombs of every accepted format: a file of a few dozen or hundred bytes whose header
 * declares billions of pixels. The upload reads the header only and refuses it (422) before anything
 * decodes a pixel, under the default MAX_PIXELS (100 000 000).
 */
const setup = serverWithSentinel({ THUMBNAIL_SIZES: '150' }, { refusedOnly: true });
let server: TestServer;
beforeAll(() => {
  server = setup.server;
});

const TOO_LARGE = [422, 'IMAGE_TOO_LARGE'] as const;
const INVALID = [422, 'INVALID_IMAGE'] as const;

describe('a tiny file declaring a huge image', () => {
  it.each([
    ['PNG IHDR 65535×65535', TOO_LARGE, () => pngBomb(65_535, 65_535)],
    ['PNG IHDR 1000000×1000000 (libpng’s own width limit)', TOO_LARGE, () => pngBomb(1_000_000, 1_000_000)],
    ['JPEG SOF0 65500×65500', TOO_LARGE, () => jpegBomb(65_500, 65_500)],
    ['GIF logical screen and frame 65535×65535', TOO_LARGE, () => gifBomb(65_535, 65_535)],
    ['WebP VP8 frame 16383×16383 (the largest VP8 allows)', TOO_LARGE, () => webpBomb(16_383, 16_383)],
    ['WebP VP8X canvas 16383×16383 around that frame', TOO_LARGE, () => webpBomb(16_383, 16_383, { width: 16_383, height: 16_383 })],
    // libwebp refuses a still image whose canvas differs from its frame (and no VP8 frame reaches 16384).
    ['WebP VP8X canvas 16384×16384 over a 16×16 frame', INVALID, () => webpBomb(16, 16, { width: 16_384, height: 16_384 })],
    ['AVIF ispe 65535×65535', TOO_LARGE, () => avifBomb(65_535, 65_535)],
    ['AVIF ispe 1000000000×1000000000 (beyond libvips’ coordinate limit)', TOO_LARGE, () => avifBomb(1e9, 1e9)],
    ['TIFF ImageWidth and ImageLength 65535×65535', TOO_LARGE, () => tiffBomb(65_535, 65_535)],
    ['TIFF ImageWidth and ImageLength 1000000×1000000', TOO_LARGE, () => tiffBomb(1e6, 1e6)],
    // libvips refuses a TIFF dimension beyond its coordinate limit while reading the header.
    ['TIFF ImageWidth and ImageLength 1000000000×1000000000', INVALID, () => tiffBomb(1e9, 1e9)],
  ] as const)(
    '%s → %j at upload, before any decode',
    // A decode of billions of pixels would take minutes: answering inside this timeout shows none started.
    { timeout: 3_000 },
    async (_name, expected, make) => {
      const bytes = await make();
      expect(bytes.length).toBeLessThan(1_000);
      const response = await uploadFile(server.baseUrl, bytes, { filename: 'bomb.img' });
      const body = (await response.json()) as { error: { code: string } };
      expect([response.status, body.error.code]).toEqual(expected);
    },
  );
});
