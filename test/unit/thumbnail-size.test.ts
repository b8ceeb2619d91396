import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/domain/errors.js';
import { ThumbnailSize } from '../../src/domain/thumbnail-size.js';

/**
 * Expected values follow Pillow's `Image.thumbnail((box, box))` (Pillow >= 7, default reducing_gap):
 * no change when the image already fits; otherwise the long side becomes `box` and the other is
 * floor or ceil of the exact value, whichever gives the aspect ratio closer to the original's
 * (floor on a tie), at least 1. On portraits that distance is linear (plain nearest rounding); on
 * landscapes it is |aspect - box / n|, which picks ceil slightly below .5. The first seven rows are
 * Pillow's own test cases (Tests/test_image_thumbnail.py); every row was also checked against a
 * line-for-line Python port of Pillow's preserve_aspect_ratio.
 */
const PILLOW: [source: [number, number], box: number, expected: [number, number]][] = [
  [[128, 128], 100, [100, 100]],
  [[128, 256], 100, [50, 100]],
  [[256, 128], 100, [100, 50]],
  [[64, 86], 100, [64, 86]],
  [[256, 162], 33, [33, 21]],
  [[162, 256], 33, [21, 33]],
  [[200, 2], 75, [75, 1]],
  [[300, 200], 300, [300, 200]], // already fits: an edge equal to the box is not resized
  [[301, 301], 300, [300, 300]],
  [[640, 480], 300, [300, 225]],
  [[480, 640], 300, [225, 300]],
  [[100, 80], 300, [100, 80]], // never upscaled
  [[1000, 1], 300, [300, 1]], // 0.3 rounds to 0, raised to 1
  [[1, 1000], 300, [1, 300]],
  [[311, 99], 300, [300, 96]], // 95.498: Math.round says 95
  [[99, 311], 300, [95, 300]], // same numbers transposed: portrait rounding is plain nearest
  [[161, 22], 150, [150, 21]], // 20.497: Math.round says 20
  [[163, 69], 150, [150, 64]], // 63.497: Math.round says 63
  [[317, 28], 300, [300, 27]], // 26.498: Math.round says 26
  [[101, 600], 300, [50, 300]], // exact 50.5 on a portrait: a tie, floor wins (Math.round says 51)
  [[4000, 3000], 150, [150, 113]], // exact 112.5 on a landscape: ceil is closer in aspect
  [[6000, 4000], 4096, [4096, 2731]],
  [[1920, 1080], 16, [16, 9]],
];

describe('ThumbnailSize.fit matches Pillow thumbnail()', () => {
  it.each(PILLOW)('%j in a %i box gives %j', ([width, height], box, [expectedWidth, expectedHeight]) => {
    expect(ThumbnailSize.of(box).fit({ width, height })).toEqual({ width: expectedWidth, height: expectedHeight });
  });
});

describe('ThumbnailSize.of', () => {
  it.each([15, 4097, 300.5, Number.NaN])('rejects %s', (edge) => {
    expect(() => ThumbnailSize.of(edge)).toThrow(InvalidParameterError);
  });

  it.each([16, 4096])('accepts %i', (edge) => {
    expect(ThumbnailSize.of(edge).edge).toBe(edge);
  });
});
