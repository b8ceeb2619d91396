import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { mayEmbedIccProfile } from '../../src/adapters/sharp/profile-presence.js';
import { namedProfile, withIccProfile } from '../support/icc-profiles.js';
import * as sample from '../support/sample-images.js';

const tagged = (pipeline: Sharp) => pipeline.withIccProfile('srgb').toBuffer();

describe('mayEmbedIccProfile', () => {
  it('says no for a JPEG, a PNG and a simple WebP without a profile', async () => {
    expect(mayEmbedIccProfile(await sample.jpeg(64, 48), 'jpeg')).toBe(false);
    expect(mayEmbedIccProfile(await sample.png(64, 48, { alpha: true }), 'png')).toBe(false);
    expect(mayEmbedIccProfile(await sample.webp(64, 48), 'webp')).toBe(false);
  });

  it('says yes for each with a profile', async () => {
    expect(mayEmbedIccProfile(withIccProfile(await sample.jpeg(64, 48), await namedProfile('p3')), 'jpeg')).toBe(true);
    // sharp's withMetadata writes its sRGB profile after the EXIF segment.
    expect(mayEmbedIccProfile(await sample.jpeg(64, 48, { orientation: 6 }), 'jpeg')).toBe(true);
    const source = sharp(await sample.png(64, 48));
    expect(mayEmbedIccProfile(await tagged(source.clone().jpeg()), 'jpeg')).toBe(true);
    expect(mayEmbedIccProfile(await tagged(source.clone().png()), 'png')).toBe(true);
    expect(mayEmbedIccProfile(await tagged(source.clone().webp()), 'webp')).toBe(true);
  });

  it('says yes, leaving it to libvips, for malformed bytes and for the formats it does not read', async () => {
    const jpeg = await sample.jpeg(64, 48);
    expect(mayEmbedIccProfile(jpeg.slice(0, 40), 'jpeg')).toBe(true);
    expect(mayEmbedIccProfile(sample.text('not an image at all'), 'jpeg')).toBe(true);
    expect(mayEmbedIccProfile((await sample.png(64, 48)).slice(0, 20), 'png')).toBe(true);
    expect(mayEmbedIccProfile((await sample.webp(64, 48)).slice(0, 10), 'webp')).toBe(true);
    expect(mayEmbedIccProfile(await sample.gif(64, 48), 'gif')).toBe(true);
    expect(mayEmbedIccProfile(await sample.avif(64, 48), 'avif')).toBe(true);
    expect(mayEmbedIccProfile(await sample.tiff(64, 48), 'tiff')).toBe(true);
  });
});
