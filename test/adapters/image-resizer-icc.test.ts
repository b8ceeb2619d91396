import sharp, { type SharpOptions } from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { SharpImageResizer } from '../../src/adapters/sharp/sharp-image-resizer.js';
import { HP_STYLE_SRGB, iccSegments, namedProfile, withIccProfile, withIccSegments, type IccSegment } from '../support/icc-profiles.js';
import * as sample from '../support/sample-images.js';

/** The options of every sharp() call, by input, through a transparent proxy (as in image-resizer.test.ts). */
const sharpCalls = vi.hoisted(() => [] as { input: unknown; options: unknown }[]);
vi.mock('sharp', async (importOriginal) => {
  const actual = await importOriginal<{ default: typeof sharp }>();
  const recording = new Proxy(actual.default, {
    apply(target, thisArg, args: Parameters<typeof sharp>) {
      sharpCalls.push({ input: args[0], options: args[1] });
      return Reflect.apply(target, thisArg, args);
    },
  });
  return { ...actual, default: recording };
});

/** Whether any pipeline on `bytes` was told to ignore their ICC profile. */
const profileIgnored = (bytes: Uint8Array) =>
  sharpCalls.some(({ input, options }) => input === bytes && (options as { ignoreIcc?: boolean } | undefined)?.ignoreIcc === true);

/** SharpImageResizer decodes an image tagged sRGB with its profile ignored, and converts any other (see srgb-profile.ts). */
const resizer = new SharpImageResizer({ maxPixels: 50_000_000 });

/** The largest difference between two images' decoded values, channel by channel. */
async function largestDifference(a: Uint8Array, b: Uint8Array, options: [SharpOptions, SharpOptions] = [{}, {}]): Promise<number> {
  const [x, y] = await Promise.all([sharp(a, options[0]).raw().toBuffer(), sharp(b, options[1]).raw().toBuffer()]);
  if (x.length !== y.length) throw new Error(`${x.length} values against ${y.length}`);
  let largest = 0;
  for (let i = 0; i < x.length; i++) largest = Math.max(largest, Math.abs(x[i]! - y[i]!));
  return largest;
}

describe('embedded ICC profiles', () => {
  const renditionBytes = async (bytes: Uint8Array) => (await resizer.render(bytes, { sizes: [150, 300], format: 'jpeg', quality: 85 })).renditions.map((r) => Buffer.from(r.data));

  it.each(['srgb', 'HP-style sRGB'] as const)('renders a JPEG tagged %s as the same JPEG untagged: no conversion, which would change no pixel', async (name) => {
    const untagged = await sample.jpeg(640, 400);
    const tagged = withIccProfile(untagged, name === 'srgb' ? await namedProfile('srgb') : HP_STYLE_SRGB);
    expect(await renditionBytes(tagged)).toEqual(await renditionBytes(untagged));
    expect(profileIgnored(tagged)).toBe(true);
    // So too when the caller knows the header (a job, from the image's row): only then is the container scanned first.
    sharpCalls.length = 0;
    const source = { format: 'jpeg', width: 640, height: 400 } as const;
    await resizer.render(tagged, { sizes: [300], format: 'jpeg', quality: 85, source });
    expect(profileIgnored(tagged)).toBe(true);
    // The premise, through lcms itself: converting from this profile to sRGB moves no value by more than one.
    expect(await largestDifference(tagged, tagged, [{}, { ignoreIcc: true }])).toBeLessThanOrEqual(1);
  });

  it("reads a job's JPEG profile from its segments, split or not, without a header read by libvips", async () => {
    const untagged = await sample.jpeg(640, 400);
    const source = { format: 'jpeg', width: 640, height: 400 } as const;
    /** The profile in three APP2 segments, the last first. */
    const split = (icc: Uint8Array) => {
      const [first, second, third] = iccSegments(icc, 3) as [IccSegment, IccSegment, IccSegment];
      return withIccSegments(untagged, [third, first, second]);
    };
    const headerRead = (bytes: Uint8Array) =>
      sharpCalls.some(({ input, options }) => input === bytes && (options as { limitInputPixels?: unknown } | undefined)?.limitInputPixels === false);
    for (const [tagged, srgb] of [
      [split(HP_STYLE_SRGB), true],
      [split(await namedProfile('p3')), false],
    ] as const) {
      sharpCalls.length = 0;
      await resizer.render(tagged, { sizes: [300], format: 'jpeg', quality: 85, source });
      expect(profileIgnored(tagged)).toBe(srgb);
      expect(headerRead(tagged)).toBe(false);
    }
  });

  it('converts a JPEG tagged Display P3 to sRGB', async () => {
    const untagged = await sample.jpeg(640, 400);
    const tagged = withIccProfile(untagged, await namedProfile('p3'));
    const [fromTagged, fromUntagged] = [await renditionBytes(tagged), await renditionBytes(untagged)];
    expect(fromTagged[1]).not.toEqual(fromUntagged[1]);
    expect(profileIgnored(tagged)).toBe(false);
    // The same stored values mean more saturated colours in P3: in sRGB they move by several steps.
    expect(await largestDifference(fromTagged[1]!, fromUntagged[1]!)).toBeGreaterThanOrEqual(3);
  });
});
