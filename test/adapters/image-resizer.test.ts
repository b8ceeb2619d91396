import sharp, { type Sharp } from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToRGBA } from 'thumbhash';
import { Container } from 'inversify';
import { describe, expect, it, vi } from 'vitest';
import { fakeImageBytes, FakeImageResizer } from '../../src/adapters/memory/fake-image-resizer.js';
import { SharpImageResizer } from '../../src/adapters/sharp/sharp-image-resizer.js';
import { loadConfig } from '../../src/config.js';
import { resizerModule } from '../../src/wiring/adapter-modules.js';
import { ImageTooLargeError, InvalidImageError, UnsupportedMediaTypeError } from '../../src/domain/errors.js';
import { ThumbnailSize } from '../../src/domain/thumbnail-size.js';
import type { RenderOptions } from '../../src/ports/image-resizer.js';
import { imageResizerContract } from '../contracts/image-resizer.contract.js';
import * as sample from '../support/sample-images.js';

/**
 * Every input handed to sharp(), through a transparent proxy (statics and behaviour unchanged), so a
 * test can count the pipelines that read the original bytes.
 */
const sharpInputs = vi.hoisted(() => [] as unknown[]);
vi.mock('sharp', async (importOriginal) => {
  const actual = await importOriginal<{ default: typeof sharp }>();
  const counting = new Proxy(actual.default, {
    apply(target, thisArg, args: Parameters<typeof sharp>) {
      sharpInputs.push(args[0]);
      return Reflect.apply(target, thisArg, args);
    },
  });
  return { ...actual, default: counting };
});

imageResizerContract('SharpImageResizer', ({ maxPixels }) => ({
  resizer: new SharpImageResizer({ maxPixels, timeoutSeconds: 10 }),
  fixtures: {
    image: sample.image,
    // Cut inside the JPEG header (before the frame and Huffman tables).
    corrupt: async () => (await sample.jpeg(64, 48)).slice(0, 100),
  },
}));

imageResizerContract('FakeImageResizer', ({ maxPixels }) => ({
  resizer: new FakeImageResizer({ maxPixels }),
  fixtures: {
    image: (format, width, height) => Promise.resolve(fakeImageBytes(format, width, height)),
    corrupt: () => Promise.resolve(sample.text('FAKEIMG:png:widexhigh')),
  },
}));

const resizer = new SharpImageResizer({ maxPixels: 50_000_000 });
const JPEG_300: RenderOptions = { sizes: [300], format: 'jpeg', quality: 85 };

async function renderOne(bytes: Uint8Array, options: RenderOptions = JPEG_300) {
  const {
    renditions: [rendered],
  } = await resizer.render(bytes, options);
  if (!rendered) throw new Error('no rendition');
  return rendered;
}

async function pixelAt(bytes: Uint8Array, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  if (x >= info.width || y >= info.height) throw new Error(`(${x}, ${y}) is outside ${info.width}×${info.height}`);
  const i = (y * info.width + x) * info.channels;
  return [data[i] ?? -1, data[i + 1] ?? -1, data[i + 2] ?? -1];
}

const isRed = ([r, g, b]: number[]) => (r ?? 0) > 200 && (g ?? 255) < 60 && (b ?? 255) < 60;
const isBlue = ([r, g, b]: number[]) => (r ?? 255) < 60 && (g ?? 255) < 60 && (b ?? 0) > 200;

describe('SharpImageResizer', () => {
  it.each([
    // Landscape: Pillow picks the height whose aspect ratio is closer, not always Math.round's.
    { source: [311, 99], size: 300, pillow: [300, 96], naive: [300, 95] },
    { source: [161, 22], size: 150, pillow: [150, 21], naive: [150, 20] },
    // Portrait at an exact .5: a tie, and Pillow keeps the floor.
    { source: [101, 600], size: 300, pillow: [50, 300], naive: [51, 300] },
  ])('sizes $source.0×$source.1 in $size as Pillow does ($pillow.0×$pillow.1)', async ({ source, size, pillow, naive }) => {
    const [width = 0, height = 0] = source;
    const naiveFit = width > height ? [size, Math.round((size * height) / width)] : [Math.round((size * width) / height), size];
    expect(naiveFit).toEqual(naive);
    const fit = ThumbnailSize.of(size).fit({ width, height });
    expect([fit.width, fit.height]).toEqual(pillow);
    const rendered = await renderOne(await sample.png(width, height), { ...JPEG_300, sizes: [size] });
    expect([rendered.width, rendered.height]).toEqual(pillow);
  });

  describe('EXIF orientation 6 (stored 400×200, displayed rotated 90° clockwise)', () => {
    const rotated = sample.jpeg(400, 200, { orientation: 6 });

    it('probes the displayed dimensions', async () => {
      await expect(resizer.probe(await rotated)).resolves.toEqual({ format: 'jpeg', width: 200, height: 400 });
    });

    it('renders rotated pixels: the stored top-left marker ends at the top-right', async () => {
      const rendered = await renderOne(await rotated);
      expect([rendered.width, rendered.height]).toEqual([150, 300]);
      expect(isRed(await pixelAt(rendered.data, 148, 2))).toBe(true);
      expect(isRed(await pixelAt(rendered.data, 2, 2))).toBe(false);
    });

    it('strips metadata from the output', async () => {
      const output = await sharp((await renderOne(await rotated)).data).metadata();
      expect(output.exif).toBeUndefined();
      expect(output.orientation).toBeUndefined();
    });
  });

  it('flattens transparency on white', async () => {
    const rendered = await renderOne(await sample.png(200, 100, { alpha: true }));
    const transparent = await pixelAt(rendered.data, 190, 50);
    expect(Math.min(...transparent)).toBeGreaterThan(240);
    expect(Math.min(...(await pixelAt(rendered.data, 60, 50)))).toBeLessThan(200);
  });

  it('writes a well-formed JPEG that a strict decoder reads, smaller at quality 85 than at 100', async () => {
    const source = await sample.jpeg(800, 600);
    const at85 = await renderOne(source, { ...JPEG_300, quality: 85 });
    const at100 = await renderOne(source, { ...JPEG_300, quality: 100 });
    expect([...at85.data.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect([...at85.data.subarray(-2)]).toEqual([0xff, 0xd9]);
    await expect(sharp(at85.data, { failOn: 'warning' }).raw().toBuffer()).resolves.toBeDefined();
    expect(at85.data.length).toBeLessThan(at100.data.length * 0.8);
  });

  it.each([
    ['CMYK JPEG', 'cmyk', (image: Sharp) => image.toColourspace('cmyk').jpeg()],
    ['16-bit PNG', 'rgb16', (image: Sharp) => image.toColourspace('rgb16').png()],
    ['greyscale PNG', 'b-w', (image: Sharp) => image.toColourspace('b-w').png()],
  ])('renders a %s as 8-bit sRGB at every size', async (_, space, encode) => {
    const source = await encode(sharp(await sample.png(64, 48))).toBuffer();
    expect((await sharp(source).metadata()).space).toBe(space);
    for (const rendered of (await resizer.render(source, { ...JPEG_300, sizes: [32, 16] })).renditions) {
      const output = await sharp(rendered.data).metadata();
      expect([output.space, output.channels, output.depth, output.width]).toEqual(['srgb', 3, 'uchar', rendered.size]);
    }
  });

  it.each([
    ['animated GIF', () => sample.gif(120, 80, { frames: 2 })],
    ['multi-page TIFF', () => sample.tiff(120, 80, { pages: 2 })],
  ])('renders the first frame of an %s', async (_, make) => {
    const rendered = await renderOne(await make(), { ...JPEG_300, sizes: [60] });
    expect([rendered.width, rendered.height]).toEqual([60, 40]);
    expect(isRed(await pixelAt(rendered.data, 1, 1))).toBe(true);
    expect(isBlue(await pixelAt(rendered.data, 30, 20))).toBe(false);
  });

  it('accepts an animated PNG (APNG) as a PNG', async () => {
    await expect(resizer.probe(await sample.apng(64, 48))).resolves.toEqual({ format: 'png', width: 64, height: 48 });
  });

  it.each([
    ['SVG with an XML declaration', sample.text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'), 'application/xml'],
    ['PDF', sample.text('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n'), 'application/pdf'],
    ['HEIC', Uint8Array.of(0, 0, 0, 24, ...sample.text('ftypheic'), 0, 0, 0, 0, ...sample.text('mif1heic')), 'image/heic'],
    ['one byte', Uint8Array.of(0xff), null],
  ])('rejects %s naming what it detected', async (_, bytes, detected) => {
    const rejection = resizer.probe(bytes);
    await expect(rejection).rejects.toThrow(UnsupportedMediaTypeError);
    await expect(rejection).rejects.toMatchObject({ detected });
  });

  it.each([
    ['JPEG', () => sample.jpeg(400, 300)],
    ['PNG', () => sample.png(400, 300)],
  ])('probes a truncated %s from its intact header but rejects rendering it', async (_, make) => {
    const cut = sample.truncated(await make(), 0.6);
    await expect(resizer.probe(cut)).resolves.toMatchObject({ width: 400, height: 300 });
    await expect(resizer.render(cut, JPEG_300)).rejects.toThrow(InvalidImageError);
  });

  it('rejects a PNG cut inside its header on probe', async () => {
    await expect(resizer.probe((await sample.png(64, 48)).slice(0, 20))).rejects.toThrow(InvalidImageError);
  });

  it('tolerates decoder warnings such as extraneous bytes before a JPEG marker', async () => {
    const source = await sample.jpeg(200, 100);
    const scan = Buffer.from(source).indexOf(Buffer.from([0xff, 0xda]));
    const withJunk = sample.concat(source.subarray(0, scan), Uint8Array.of(1, 2, 3), source.subarray(scan));
    await expect(sharp(withJunk, { failOn: 'warning' }).toBuffer()).rejects.toThrow(/extraneous bytes/);
    await expect(resizer.render(withJunk, JPEG_300)).resolves.toMatchObject({ renditions: [{ width: 200, height: 100 }] });
  });

  describe('pixel bomb (a 30000×30000 PNG header in a few dozen bytes)', () => {
    const bomb = sample.pixelBomb();

    // A decode of 900 megapixels would take far longer than this test's timeout.
    it('probes the declared dimensions without decoding', { timeout: 2_000 }, async () => {
      expect(bomb.length).toBeLessThan(100);
      await expect(resizer.probe(bomb)).resolves.toEqual({ format: 'png', width: 30_000, height: 30_000 });
    });

    it('rejects rendering with ImageTooLargeError before decoding', { timeout: 2_000 }, async () => {
      await expect(resizer.render(bomb, JPEG_300)).rejects.toThrow(ImageTooLargeError);
      await expect(resizer.render(bomb, JPEG_300)).rejects.toMatchObject({ pixels: 900_000_000, maxPixels: 50_000_000 });
    });
  });

  it('derives several sizes from one decode with the dimensions of separate renders', async () => {
    const source = await sample.jpeg(1234, 777);
    const { renditions: together } = await resizer.render(source, { ...JPEG_300, sizes: [150, 300, 600] });
    const separate = await Promise.all([150, 300, 600].map((size) => renderOne(source, { ...JPEG_300, sizes: [size] })));
    const dims = (list: { size: number; width: number; height: number }[]) => list.map((r) => [r.size, r.width, r.height]);
    expect(dims(together)).toEqual(dims(separate));
    const fits = [150, 300, 600].map((size) => ({ size, ...ThumbnailSize.of(size).fit({ width: 1234, height: 777 }) }));
    expect(dims(together)).toEqual(dims(fits));
  });

  describe('placeholder (ThumbHash)', () => {
    const solid = (width: number, height: number, background: { r: number; g: number; b: number }) =>
      sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();
    const hashOf = async (bytes: Uint8Array, sizes = [300]) =>
      Buffer.from((await resizer.render(bytes, { ...JPEG_300, sizes })).placeholder, 'base64');
    const meanRgb = (rgba: Uint8Array) => {
      const sums = [0, 0, 0];
      for (let i = 0; i < rgba.length; i += 4) for (let c = 0; c < 3; c++) sums[c]! += rgba[i + c]!;
      return sums.map((sum) => sum / (rgba.length / 4));
    };

    it.each([
      ['solid red', () => solid(200, 100, sample.MARKER), isRed],
      ['solid blue', () => solid(100, 200, sample.EXTRA_FRAME), isBlue],
      ['gradient photo', () => sample.jpeg(640, 480), () => true],
    ])('decodes to the average colour of a %s source', async (_, make, looksRight) => {
      const source = await make();
      const expected = (await sharp(source).stats()).channels.slice(0, 3).map((channel) => channel.mean);
      const decoded = meanRgb(thumbHashToRGBA(await hashOf(source)).rgba);
      expect(looksRight(decoded)).toBe(true);
      decoded.forEach((value, c) => expect(Math.abs(value - expected[c]!)).toBeLessThan(12));
    });

    it('keeps the layout: a red top half and a blue bottom half decode red at the top, blue at the bottom', async () => {
      const halves = await sharp({ create: { width: 120, height: 120, channels: 3, background: sample.EXTRA_FRAME } })
        .composite([{ input: await solid(120, 60, sample.MARKER), top: 0, left: 0 }])
        .png()
        .toBuffer();
      const { w, h, rgba } = thumbHashToRGBA(await hashOf(halves));
      const at = (x: number, y: number) => [...rgba.subarray((y * w + x) * 4, (y * w + x) * 4 + 3)];
      const [top, bottom] = [at(w >> 1, 1), at(w >> 1, h - 2)];
      expect(top[0]! - top[2]!).toBeGreaterThan(100);
      expect(bottom[2]! - bottom[0]!).toBeGreaterThan(100);
    });

    it.each([
      { source: [200, 100], ratio: 2 },
      { source: [100, 200], ratio: 0.5 },
      { source: [1234, 777], ratio: 1234 / 777 },
    ])('approximates the aspect ratio of $source.0×$source.1', async ({ source: [width = 0, height = 0], ratio }) => {
      const approximate = thumbHashToApproximateAspectRatio(await hashOf(await sample.png(width, height)));
      expect(approximate).toBeGreaterThan(ratio / 1.2);
      expect(approximate).toBeLessThan(ratio * 1.2);
    });

    it('reflects EXIF orientation (stored 400×200, displayed 200×400) in shape and content', async () => {
      const rotated = await hashOf(await sample.jpeg(400, 200, { orientation: 6 }));
      const upright = await hashOf(await sample.jpeg(400, 200));
      expect(thumbHashToApproximateAspectRatio(rotated)).toBeLessThan(0.6);
      expect(thumbHashToApproximateAspectRatio(upright)).toBeGreaterThan(1.6);
      // The sample's red rises with the stored x: left to right upright, top to bottom once rotated.
      const redAt = (hash: Uint8Array, fx: number, fy: number) => {
        const { w, h, rgba } = thumbHashToRGBA(hash);
        return rgba[(Math.round(fy * (h - 1)) * w + Math.round(fx * (w - 1))) * 4]!;
      };
      expect(redAt(upright, 0.9, 0.5) - redAt(upright, 0.1, 0.5)).toBeGreaterThan(60);
      expect(redAt(rotated, 0.5, 0.9) - redAt(rotated, 0.5, 0.1)).toBeGreaterThan(60);
    });

    it('costs no second decode: one pipeline more than probe reads the original, whatever the sizes', async () => {
      const source = await sample.jpeg(1234, 777);
      const readsOf = async (run: () => Promise<unknown>) => {
        sharpInputs.length = 0;
        await run();
        return sharpInputs.filter((input) => input instanceof Uint8Array && Buffer.compare(input, source) === 0).length;
      };
      const headerReads = await readsOf(() => resizer.probe(source));
      expect(headerReads).toBeGreaterThan(0);
      for (const sizes of [[], [300], [150, 300, 600]]) {
        expect(await readsOf(() => resizer.render(source, { ...JPEG_300, sizes }))).toBe(headerReads + 1);
      }
    });
  });

  it.each([
    { maxPixels: 0 },
    { maxPixels: 1.5 },
    { maxPixels: 1000, timeoutSeconds: 0 },
    { maxPixels: 1000, timeoutSeconds: 0.5 },
    { maxPixels: 1000, threadsPerImage: 0 },
    { maxPixels: 1000, threadsPerImage: 1.5 },
    { maxPixels: 1000, threadsPerImage: 65 },
  ])('refuses the options %j', (options) => {
    expect(() => new SharpImageResizer(options)).toThrow(RangeError);
  });

  it('sets the libvips threads per image when given, and leaves them alone when not', () => {
    const before = sharp.concurrency();
    try {
      new SharpImageResizer({ maxPixels: 1000, threadsPerImage: 3 });
      expect(sharp.concurrency()).toBe(3);
      new SharpImageResizer({ maxPixels: 1000 });
      expect(sharp.concurrency()).toBe(3);
    } finally {
      sharp.concurrency(before);
    }
  });

  it("turns libvips' operation cache off or on when told, and leaves it alone when not", () => {
    const itemsAllowed = () => sharp.cache().items.max;
    const [before, threads] = [itemsAllowed(), sharp.concurrency()];
    try {
      new SharpImageResizer({ maxPixels: 1000, operationCache: false });
      expect(sharp.cache()).toMatchObject({ memory: { max: 0 }, files: { max: 0 }, items: { max: 0 } });
      new SharpImageResizer({ maxPixels: 1000 });
      expect(itemsAllowed()).toBe(0);
      new SharpImageResizer({ maxPixels: 1000, operationCache: true });
      expect(itemsAllowed()).toBeGreaterThan(0);
      // The service's wiring turns it off.
      new Container().load(resizerModule(loadConfig({})));
      expect(itemsAllowed()).toBe(0);
    } finally {
      sharp.cache(before > 0);
      sharp.concurrency(threads); // the wiring set its VIPS_CONCURRENCY
    }
  });
});
