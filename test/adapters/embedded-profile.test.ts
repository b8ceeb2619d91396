import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { embeddedIccProfile, UNKNOWN } from '../../src/adapters/sharp/embedded-profile.js';
import { HP_STYLE_SRGB, iccSegments, namedProfile, withIccProfile, withIccSegments, type IccSegment } from '../support/icc-profiles.js';
import * as sample from '../support/sample-images.js';

const tagged = (pipeline: Sharp) => pipeline.withIccProfile('srgb').toBuffer();
/** The profile libvips finds in `bytes`, as the resizer would read it without this module. */
const libvipsProfile = async (bytes: Uint8Array) => (await sharp(bytes).metadata()).icc;

describe('embeddedIccProfile', () => {
  it('finds none in a JPEG, a PNG and a simple WebP without a profile', async () => {
    expect(embeddedIccProfile(await sample.jpeg(64, 48), 'jpeg')).toBeUndefined();
    expect(embeddedIccProfile(await sample.png(64, 48, { alpha: true }), 'png')).toBeUndefined();
    expect(embeddedIccProfile(await sample.webp(64, 48), 'webp')).toBeUndefined();
  });

  it("reads a JPEG's profile, byte for byte the one libvips finds", async () => {
    const jpegs = [
      withIccProfile(await sample.jpeg(64, 48), await namedProfile('p3')),
      withIccProfile(await sample.jpeg(64, 48), HP_STYLE_SRGB),
      // sharp's withMetadata writes its sRGB profile after the EXIF segment.
      await sample.jpeg(64, 48, { orientation: 6 }),
      await tagged(sharp(await sample.png(64, 48)).jpeg()),
    ];
    for (const jpeg of jpegs) {
      const found = embeddedIccProfile(jpeg, 'jpeg');
      expect(found).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(found as Uint8Array).equals(Buffer.from((await libvipsProfile(jpeg))!))).toBe(true);
    }
  });

  it('joins a profile split across segments by their numbers, in whatever order they come, as libvips does', async () => {
    const jpeg = await sample.jpeg(64, 48);
    const [first, second, third] = iccSegments(HP_STYLE_SRGB, 3) as [IccSegment, IccSegment, IccSegment];
    for (const segments of [[first, second, third], [third, first, second]]) {
      const bytes = withIccSegments(jpeg, segments);
      const found = embeddedIccProfile(bytes, 'jpeg');
      expect(Buffer.from(found as Uint8Array).equals(HP_STYLE_SRGB)).toBe(true);
      expect(Buffer.from((await libvipsProfile(bytes))!).equals(HP_STYLE_SRGB)).toBe(true);
    }
  });

  it('leaves to libvips a JPEG whose segments it might join otherwise', async () => {
    const jpeg = await sample.jpeg(64, 48);
    const [a, b, c] = iccSegments(HP_STYLE_SRGB, 3).map((segment) => segment.data) as [Uint8Array, Uint8Array, Uint8Array];
    const cases = [
      [{ number: 1, count: 3, data: a }, { number: 3, count: 3, data: c }], // one missing
      [{ number: 1, count: 2, data: a }, { number: 1, count: 2, data: b }], // one number twice
      [{ number: 1, count: 2, data: a }, { number: 2, count: 3, data: b }], // counts that disagree
      [{ number: 0, count: 1, data: a }], // numbers start at 1
      [{ number: 2, count: 1, data: a }], // beyond its count
      [{ number: 1, count: 1, data: a, name: 'ICC_PROFILEX' }], // a look-alike libvips may take
      [{ number: 1, count: 1, data: new Uint8Array(0) }], // no profile bytes at all
    ];
    for (const segments of cases) expect(embeddedIccProfile(withIccSegments(jpeg, segments), 'jpeg')).toBe(UNKNOWN);
  });

  it('leaves to libvips a PNG or an extended WebP with a profile, malformed bytes, and the formats it does not read', async () => {
    const source = sharp(await sample.png(64, 48));
    expect(embeddedIccProfile(await tagged(source.clone().png()), 'png')).toBe(UNKNOWN);
    expect(embeddedIccProfile(await tagged(source.clone().webp()), 'webp')).toBe(UNKNOWN);
    const jpeg = withIccProfile(await sample.jpeg(64, 48), await namedProfile('p3'));
    expect(embeddedIccProfile(jpeg.subarray(0, 40), 'jpeg')).toBe(UNKNOWN);
    expect(embeddedIccProfile(sample.text('not an image at all'), 'jpeg')).toBe(UNKNOWN);
    expect(embeddedIccProfile((await sample.png(64, 48)).subarray(0, 20), 'png')).toBe(UNKNOWN);
    expect(embeddedIccProfile((await sample.webp(64, 48)).subarray(0, 10), 'webp')).toBe(UNKNOWN);
    expect(embeddedIccProfile(await sample.gif(64, 48), 'gif')).toBe(UNKNOWN);
    expect(embeddedIccProfile(await sample.avif(64, 48), 'avif')).toBe(UNKNOWN);
    expect(embeddedIccProfile(await sample.tiff(64, 48), 'tiff')).toBe(UNKNOWN);
  });
});
