import { fileTypeFromBuffer } from 'file-type';
import sharp, { type FailOnOptions, type Metadata, type Sharp } from 'sharp';
import { ImageTooLargeError, InvalidImageError, UnsupportedMediaTypeError } from '../../domain/errors.js';
import { mediaTypeOf, type ImageFormat } from '../../domain/image-format.js';
import { ThumbnailSize, type Dimensions } from '../../domain/thumbnail-size.js';
import { avifDeclaredExtent } from './avif-extent.js';
import { embeddedIccProfile, UNKNOWN } from './embedded-profile.js';
import { isSrgbProfile } from './srgb-profile.js';
import { PLACEHOLDER_BOX, thumbHashOf } from './thumbhash-placeholder.js';
import type {
  ImageInfo,
  ImageResizer,
  RenderedImage,
  RenderOptions,
  RenderResult,
  RenditionFormat,
} from '../../ports/image-resizer.js';

export interface SharpImageResizerOptions {
  /** Largest width × height `render` decodes; above it, render rejects with ImageTooLargeError. */
  readonly maxPixels: number;
  /** Time budget of each libvips pipeline, whole seconds (1 to 3600); none when omitted. */
  readonly timeoutSeconds?: number;
  /**
   * libvips threads each image's pipeline uses (`sharp.concurrency`), 1 to 64. A libvips setting, so
   * it holds for the whole process, every sharp call in it included; left as it is when omitted. sharp
   * itself picks 1 on glibc, but only while MALLOC_ARENA_MAX is unset; otherwise one per core.
   */
  readonly threadsPerImage?: number;
  /**
   * libvips' operation cache (`sharp.cache`) on or off, for the whole process like `threadsPerImage`;
   * left as it is when omitted (sharp keeps it on). A render never repeats an operation on the same
   * pixels, so the cache only costs here: with it off, renders ran ~5 % faster (see bench/NOTES.md, Tuning).
   */
  readonly operationCache?: boolean;
}

/** Sniffed media types accepted, and the format each is stored as. APNG is a PNG whose default image sharp reads. */
const ACCEPTED = new Map<string, ImageFormat>([
  ['image/jpeg', 'jpeg'],
  ['image/png', 'png'],
  ['image/apng', 'png'],
  ['image/webp', 'webp'],
  ['image/gif', 'gif'],
  ['image/avif', 'avif'],
  ['image/tiff', 'tiff'],
]);

/**
 * 'error' rejects truncated and corrupt pixel data but tolerates decoder warnings such as
 * "extraneous bytes before marker", which many camera and phone JPEGs carry ('warning' would reject them).
 */
const FAIL_ON: FailOnOptions = 'error';

const ENCODERS: Record<RenditionFormat, (pipeline: Sharp, quality: number) => Sharp> = {
  // Baseline, not progressive: at 600 px progressive took twice the encode time for 2% fewer bytes (and
  // 5% more at 150 px); thumbnails this small gain nothing from loading in passes.
  jpeg: (pipeline, quality) => pipeline.jpeg({ quality, mozjpeg: false }),
  webp: (pipeline, quality) => pipeline.webp({ quality }),
  // Effort 2 of 9: on a 600-px rendition the default (4) took ~9× the CPU time for ~4% fewer bytes.
  avif: (pipeline, quality) => pipeline.avif({ quality, effort: 2 }),
};

/**
 * {@link ImageResizer} on sharp (libvips). `probe` sniffs the magic bytes with file-type, then reads
 * only the header: it never decodes pixels and never rejects on pixel count, so a tiny file declaring
 * 30000 × 30000 probes in milliseconds. `render` rejects images above `maxPixels` with
 * ImageTooLargeError before decoding, decodes the first frame/page once (EXIF orientation applied,
 * alpha flattened on white, sRGB) into raw pixels at the largest size asked (at least the 32-px
 * placeholder box), then derives every size and the ThumbHash placeholder from those pixels. An
 * embedded ICC profile is converted from, unless it is sRGB in all but name: then it is ignored, which
 * gives the same pixels in far less time (srgb-profile.ts). Sizes follow {@link ThumbnailSize.fit}
 * exactly, computed from the original dimensions. Outputs carry no metadata.
 */
export class SharpImageResizer implements ImageResizer {
  private readonly maxPixels: number;
  private readonly timeoutSeconds: number | undefined;

  constructor(options: SharpImageResizerOptions) {
    if (!Number.isSafeInteger(options.maxPixels) || options.maxPixels < 1) {
      throw new RangeError(`maxPixels must be a positive integer, got ${options.maxPixels}`);
    }
    const { timeoutSeconds } = options;
    if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 1 && timeoutSeconds <= 3600)) {
      throw new RangeError(`timeoutSeconds must be a whole number from 1 to 3600, got ${timeoutSeconds}`);
    }
    const { threadsPerImage } = options;
    if (threadsPerImage !== undefined && !(Number.isInteger(threadsPerImage) && threadsPerImage >= 1 && threadsPerImage <= 64)) {
      throw new RangeError(`threadsPerImage must be a whole number from 1 to 64, got ${threadsPerImage}`);
    }
    this.maxPixels = options.maxPixels;
    this.timeoutSeconds = options.timeoutSeconds;
    if (threadsPerImage !== undefined) sharp.concurrency(threadsPerImage);
    if (options.operationCache !== undefined) sharp.cache(options.operationCache);
  }

  async probe(bytes: Uint8Array): Promise<ImageInfo> {
    return (await this.inspect(bytes)).info;
  }

  /** The probe's findings, and the ICC profile the header embeds, if any. */
  private async inspect(bytes: Uint8Array): Promise<{ info: ImageInfo; icc: Uint8Array | undefined }> {
    const format = await sniff(bytes);
    const { autoOrient, icc } = await readHeader(bytes);
    const { width, height } = autoOrient;
    if (!(width > 0 && height > 0)) throw new InvalidImageError(`the header declares ${width}×${height} pixels`);
    // libvips leaves an AVIF whose ispe is beyond its coordinate limit at 1 pixel: the boxes say what it declares.
    const declared = format === 'avif' ? avifDeclaredExtent(bytes) : null;
    if (declared && declared.width * declared.height > width * height) return { info: { format, ...declared }, icc };
    return { info: { format, width, height }, icc };
  }

  async render(bytes: Uint8Array, { sizes, format, quality, source: known }: RenderOptions): Promise<RenderResult> {
    // Sniffed even when the caller knows the header: only accepted formats ever reach the decoder. Its
    // ICC profile is looked for even then (see withProfile): far cheaper than converting from an sRGB one.
    const { info: source, icc } = known ? await withProfile(bytes, { ...known, format: await sniff(bytes) }) : await this.inspect(bytes);
    const pixels = source.width * source.height;
    if (pixels > this.maxPixels) throw new ImageTooLargeError(pixels, this.maxPixels);
    const targets = sizes.map((size) => ({ size, ...ThumbnailSize.of(size).fit(source) }));
    // The decode stops at the largest size asked, or the placeholder's box when that is larger (or nothing is asked).
    const base = [...targets, PLACEHOLDER_BOX.fit(source)].reduce((a, b) => (b.width + b.height > a.width + a.height ? b : a));

    const encode = async (input: Sharp, target: Dimensions & { size: number }): Promise<RenderedImage> => {
      const pipeline = ENCODERS[format](this.limited(resized(input, target)), quality);
      const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
      return { size: target.size, width: info.width, height: info.height, contentType: mediaTypeOf(format), data };
    };
    return translate(async () => {
      const decoded = this.decode(bytes, isSrgbProfile(icc));
      // Always through raw pixels, even for one size: the placeholder needs pixels too, and a second
      // pipeline on `bytes` would decode the original again. Sizes are derived from the base with
      // fit() of the original dimensions, which keeps each identical to a direct resize of the original.
      const { data, info } = await resized(decoded, base).raw().toBuffer({ resolveWithObject: true });
      const raw = { width: info.width, height: info.height, channels: info.channels };
      const renditions = Promise.all(targets.map((target) => encode(sharp(data, { raw }), target)));
      // Computed here while sharp encodes in its threads: cheaper than one more sharp pipeline.
      let placeholder: string;
      try {
        placeholder = thumbHashOf({ data, ...raw });
      } catch (error) {
        await renditions.catch(() => undefined); // never leave a rejection unhandled
        throw error;
      }
      return { renditions: await renditions, placeholder };
    });
  }

  /** The first frame or page, EXIF orientation applied, alpha flattened on white, in sRGB (see srgb-profile.ts for `ignoreIcc`). */
  private decode(bytes: Uint8Array, ignoreIcc: boolean): Sharp {
    const input = sharp(bytes, { limitInputPixels: this.maxPixels, failOn: FAIL_ON, sequentialRead: true, pages: 1, page: 0, ignoreIcc });
    return this.limited(input).autoOrient().flatten({ background: '#ffffff' }).toColourspace('srgb');
  }

  private limited(pipeline: Sharp): Sharp {
    return this.timeoutSeconds === undefined ? pipeline : pipeline.timeout({ seconds: this.timeoutSeconds });
  }
}

/** The accepted format the magic bytes name; rejects with UnsupportedMediaTypeError otherwise. */
async function sniff(bytes: Uint8Array): Promise<ImageFormat> {
  const sniffed = await fileTypeFromBuffer(bytes);
  const format = sniffed && ACCEPTED.get(sniffed.mime);
  if (!format) throw new UnsupportedMediaTypeError(sniffed?.mime ?? null);
  return format;
}

function resized(pipeline: Sharp, { width, height }: Dimensions): Sharp {
  return pipeline.resize({ width, height, fit: 'fill' });
}

/** `info` as the caller knows it, and the ICC profile the header embeds: from the container where it tells, else from libvips. */
async function withProfile(bytes: Uint8Array, info: ImageInfo): Promise<{ info: ImageInfo; icc: Uint8Array | undefined }> {
  const embedded = embeddedIccProfile(bytes, info.format);
  return { info, icc: embedded === UNKNOWN ? (await readHeader(bytes)).icc : embedded };
}

/**
 * Whether `bytes` embed an ICC profile that is sRGB in all but name, so that the resizer decodes them
 * with it ignored (see srgb-profile.ts). Reads the header only.
 */
export async function embedsSrgbProfile(bytes: Uint8Array): Promise<boolean> {
  return isSrgbProfile((await readHeader(bytes)).icc);
}

/** The header, without decoding pixels. The pixel limit is the caller's decision here: lifting it lets the header of a bomb be read. */
function readHeader(bytes: Uint8Array): Promise<Metadata> {
  return translate(() => sharp(bytes, { limitInputPixels: false, failOn: FAIL_ON }).metadata());
}

/** Runs a sharp call, turning libvips failures into InvalidImageError (cause kept). */
async function translate<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new InvalidImageError(detail, { cause: error });
  }
}
