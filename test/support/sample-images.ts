import sharp, { type Sharp } from 'sharp';
import type { ImageFormat } from '../../src/domain/image-format.js';

/**
 * Real encoded images for tests, generated with sharp in milliseconds.
 *
 * Content is a smooth gradient with mild deterministic noise (so it compresses like a photo) and
 * a solid {@link MARKER} block in the stored top-left corner, which lets tests check orientation.
 */
export const MARKER = { r: 255, g: 0, b: 0 } as const;
/** The colour of every extra frame or page of {@link gif} and {@link tiff}. */
export const EXTRA_FRAME = { r: 0, g: 0, b: 255 } as const;

function pixels(width: number, height: number, alpha: boolean): Buffer {
  const channels = alpha ? 4 : 3;
  const data = Buffer.alloc(width * height * channels);
  const markerWidth = Math.max(1, Math.floor(width / 8));
  const markerHeight = Math.max(1, Math.floor(height / 8));
  let seed = 42;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const noise = (seed >> 16) % 24;
      const i = (y * width + x) * channels;
      const marked = x < markerWidth && y < markerHeight;
      data[i] = marked ? MARKER.r : 40 + Math.floor((x / width) * 160) + noise;
      data[i + 1] = marked ? MARKER.g : 40 + Math.floor((y / height) * 160) + noise;
      data[i + 2] = marked ? MARKER.b : 100 + noise;
      // Transparent right half: black underneath, so a missing flatten shows as black, not white.
      if (alpha && x >= width / 2) data.fill(0, i, i + 4);
      else if (alpha) data[i + 3] = 255;
    }
  }
  return data;
}

function photo(width: number, height: number, alpha = false): Sharp {
  return sharp(pixels(width, height, alpha), { raw: { width, height, channels: alpha ? 4 : 3 } });
}

/** The photo as the first frame/page, then solid {@link EXTRA_FRAME} ones. */
async function multiFrame(width: number, height: number, frames: number): Promise<Sharp> {
  const first = await photo(width, height).png().toBuffer();
  const extra = await sharp({ create: { width, height, channels: 3, background: EXTRA_FRAME } }).png().toBuffer();
  return sharp([first, ...Array.from({ length: frames - 1 }, () => extra)], { join: { animated: true } });
}

async function bytes(pipeline: Sharp): Promise<Uint8Array> {
  return new Uint8Array(await pipeline.toBuffer());
}

export async function jpeg(
  width: number,
  height: number,
  options: { orientation?: number; quality?: number } = {},
): Promise<Uint8Array> {
  const encoded = photo(width, height).jpeg({ quality: options.quality ?? 90 });
  return bytes(options.orientation ? encoded.withMetadata({ orientation: options.orientation }) : encoded);
}

export async function png(width: number, height: number, options: { alpha?: boolean } = {}): Promise<Uint8Array> {
  return bytes(photo(width, height, options.alpha ?? false).png());
}

export async function webp(width: number, height: number): Promise<Uint8Array> {
  return bytes(photo(width, height).webp({ quality: 80 }));
}

export async function gif(width: number, height: number, options: { frames?: number } = {}): Promise<Uint8Array> {
  const frames = options.frames ?? 1;
  return bytes((frames > 1 ? await multiFrame(width, height, frames) : photo(width, height)).gif({ effort: 1 }));
}

export async function avif(width: number, height: number): Promise<Uint8Array> {
  return bytes(photo(width, height).avif({ quality: 50, effort: 0 }));
}

export async function tiff(width: number, height: number, options: { pages?: number } = {}): Promise<Uint8Array> {
  const pages = options.pages ?? 1;
  return bytes((pages > 1 ? await multiFrame(width, height, pages) : photo(width, height)).tiff());
}

/** A real image of any accepted format. */
export function image(format: ImageFormat, width: number, height: number): Promise<Uint8Array> {
  const generators = { jpeg, png, webp, gif, avif, tiff } satisfies Record<ImageFormat, unknown>;
  return generators[format](width, height);
}

export function svg(): Uint8Array {
  return text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48" fill="red"/></svg>');
}

export function text(content: string): Uint8Array {
  return new TextEncoder().encode(content);
}

/** The first `keepFraction` of the bytes, as a cut-off upload would be. */
export function truncated(bytes: Uint8Array, keepFraction: number): Uint8Array {
  return bytes.slice(0, Math.floor(bytes.length * keepFraction));
}

/** A PNG of a few dozen bytes whose header declares `width` × `height` (default 30000 × 30000). */
export function pixelBomb(width = 30_000, height = 30_000): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  // A tiny stored (uncompressed) deflate block: a valid IDAT whose data runs out far before the rows do.
  const idat = Uint8Array.of(0x78, 0x01, 0x01, 0x01, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x01, 0x00, 0x01);
  return concat(PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0)));
}

/** A PNG with an acTL chunk, which file-type reports as image/apng; decoders show the default image. */
export async function apng(width: number, height: number): Promise<Uint8Array> {
  const plain = await png(width, height);
  const afterHeader = PNG_SIGNATURE.length + 8 + 13 + 4;
  const animationControl = new Uint8Array(8);
  new DataView(animationControl.buffer).setUint32(0, 1);
  return concat(plain.subarray(0, afterHeader), pngChunk('acTL', animationControl), plain.subarray(afterHeader));
}

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typeAndData = concat(new TextEncoder().encode(type), data);
  const chunk = new Uint8Array(4 + typeAndData.length + 4);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(typeAndData, 4);
  view.setUint32(4 + typeAndData.length, crc32(typeAndData));
  return chunk;
}

function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
