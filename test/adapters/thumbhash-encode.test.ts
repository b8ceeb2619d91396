import { rgbaToThumbHash as packageEncode } from 'thumbhash';
import { describe, expect, it } from 'vitest';
import { rgbaToThumbHash } from '../../src/adapters/sharp/thumbhash-encode.js';

/** Deterministic pixels: a smooth picture with some noise, opaque or with varying alpha. */
function pixels(width: number, height: number, seed: number, alpha: 'opaque' | 'varying'): Uint8Array {
  let state = seed;
  const noise = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) % 32) - 16;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      rgba[o] = Math.max(0, Math.min(255, Math.round((255 * x) / width) + noise()));
      rgba[o + 1] = Math.max(0, Math.min(255, Math.round((255 * y) / height) + noise()));
      rgba[o + 2] = Math.max(0, Math.min(255, 128 + noise() * 4));
      rgba[o + 3] = alpha === 'opaque' ? 255 : (x * 7 + y * 13 + seed) % 256;
    }
  }
  return rgba;
}

describe('rgbaToThumbHash (ThumbHash encoder with its DCT declared once)', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [32, 21],
    [21, 32],
    [32, 32],
    [7, 100],
    [100, 3],
    [100, 100],
  ];

  it.each(shapes)('gives the thumbhash package’s bytes for %i × %i pixels, opaque and with alpha', (width, height) => {
    for (const alpha of ['opaque', 'varying'] as const) {
      for (const seed of [1, 2, 3]) {
        const rgba = pixels(width, height, seed, alpha);
        expect(rgbaToThumbHash(width, height, rgba)).toEqual(packageEncode(width, height, rgba));
      }
    }
  });

  it('gives the package’s bytes for a fully transparent image, a flat one, and hard-edged ones of every contrast', () => {
    const clear = new Uint8Array(16 * 16 * 4);
    const flat = new Uint8Array(16 * 16 * 4).fill(200);
    for (const rgba of [clear, flat]) expect(rgbaToThumbHash(16, 16, rgba)).toEqual(packageEncode(16, 16, rgba));
    // A left half and a right half apart by `contrast` in colour, then in alpha: the AC terms' scales,
    // which the hash stores, run from ~0 to their largest.
    const halves = (contrast: number, inAlpha: boolean) =>
      new Uint8Array(24 * 16 * 4).map((_, i) => {
        const left = (i >> 2) % 24 < 12;
        if (i % 4 === 3) return inAlpha && !left ? 255 - contrast : 255;
        return left || inAlpha ? 0 : contrast;
      });
    for (let contrast = 0; contrast <= 255; contrast += 5) {
      for (const rgba of [halves(contrast, false), halves(contrast, true)]) {
        expect(rgbaToThumbHash(24, 16, rgba)).toEqual(packageEncode(24, 16, rgba));
      }
    }
  });

  it('refuses images over 100 pixels a side, as the package does', () => {
    expect(() => rgbaToThumbHash(101, 10, new Uint8Array(101 * 10 * 4))).toThrow("101x10 doesn't fit in 100x100");
  });
});
