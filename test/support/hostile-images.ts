import { crc32, deflateRawSync, constants as zlibConstants } from 'node:zlib';
import sharp from 'sharp';
import type { ImageFormat } from '../../src/domain/image-format.js';
import { concat } from './sample-images.js';

/**
 * Hostile inputs built from real encodes (test/support/sample-images.ts) by rewriting chosen bytes:
 * the structure a sniffer and a header reader see stays valid, the part that follows is garbage or lies.
 * Every "random" byte comes from a seeded generator, so a fixture, and what the service does with it,
 * is the same on every run.
 */

/** `length` pseudo-random bytes from a fixed seed (an LCG): the same garbage every run. */
export function garbage(length: number, seed = 7, { avoid }: { avoid?: number } = {}): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const byte = state >>> 24;
    out[i] = byte === avoid ? byte - 1 : byte;
  }
  return out;
}

type Range = readonly [start: number, end: number];

/** A copy with every range overwritten by garbage (ranges are [start, end) offsets). */
function overwritten(bytes: Uint8Array, ranges: Range[], avoid?: number): Uint8Array {
  if (ranges.length === 0 || ranges.some(([start, end]) => !(end > start))) throw new Error('nothing to overwrite');
  const out = Uint8Array.from(bytes);
  ranges.forEach(([start, end], i) => out.set(garbage(end - start, 7 + i, avoid === undefined ? {} : { avoid }), start));
  return out;
}

const ascii = (bytes: Uint8Array, at: number, length = 4) => String.fromCharCode(...bytes.subarray(at, at + length));
const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Offset of the first JPEG marker `code` (0xFFcode) after SOI, walking the segments. */
function jpegSegment(jpeg: Uint8Array, code: number): number {
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    if (jpeg[at + 1] === code) return at;
    at += 2 + viewOf(jpeg).getUint16(at + 2);
  }
  throw new Error(`no JPEG marker 0xFF${code.toString(16)}`);
}

/** The entropy-coded scan (after the SOS header, before EOI): garbage without 0xFF, so no marker appears in it. */
function jpegScan(jpeg: Uint8Array): Range[] {
  const sos = jpegSegment(jpeg, 0xda);
  return [[sos + 2 + viewOf(jpeg).getUint16(sos + 2), jpeg.length - 2]];
}

/** Each chunk of a PNG: [type, data offset, data length]. */
function pngChunks(png: Uint8Array): [string, number, number][] {
  const chunks: [string, number, number][] = [];
  for (let at = 8; at + 8 <= png.length; at += 12 + viewOf(png).getUint32(at)) {
    chunks.push([ascii(png, at + 4), at + 8, viewOf(png).getUint32(at)]);
  }
  return chunks;
}

/** Every IDAT's data (the compressed pixels); CRCs are recomputed after the overwrite. */
function pngIdat(png: Uint8Array): Range[] {
  return pngChunks(png)
    .filter(([type]) => type === 'IDAT')
    .map(([, at, length]) => [at, at + length]);
}

function withPngCrcs(png: Uint8Array): Uint8Array {
  for (const [, at, length] of pngChunks(png)) viewOf(png).setUint32(at + length, crc32(png.subarray(at - 4, at + length)));
  return png;
}

/** Each RIFF chunk of a WebP: [fourcc, data offset, data length]. */
function webpChunks(webp: Uint8Array): [string, number, number][] {
  const chunks: [string, number, number][] = [];
  for (let at = 12; at + 8 <= webp.length; at += 8 + viewOf(webp).getUint32(at + 4, true) + (viewOf(webp).getUint32(at + 4, true) & 1)) {
    chunks.push([ascii(webp, at), at + 8, viewOf(webp).getUint32(at + 4, true)]);
  }
  return chunks;
}

/** The VP8 data after its 10-byte frame header (frame tag, start code, dimensions). */
function webpVp8(webp: Uint8Array): Range[] {
  const [, at, length] = webpChunks(webp).find(([fourcc]) => fourcc === 'VP8 ') ?? [];
  if (at === undefined || length === undefined) throw new Error('no VP8 chunk');
  return [[at + 10, at + length]];
}

/** Walks a GIF's blocks; `onImage` gets the offset of each image descriptor and of its LZW sub-blocks. */
function walkGif(gif: Uint8Array, onImage: (descriptor: number, subBlocks: Range[]) => void): void {
  const table = (packed: number) => (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0);
  let at = 13 + table(gif[10]!);
  const skipSubBlocks = (from: number, collect?: Range[]) => {
    while (gif[from]! !== 0) {
      collect?.push([from + 1, from + 1 + gif[from]!]);
      from += 1 + gif[from]!;
    }
    return from + 1;
  };
  while (gif[at] !== 0x3b && at < gif.length) {
    if (gif[at] === 0x21) at = skipSubBlocks(at + 2);
    else if (gif[at] === 0x2c) {
      const subBlocks: Range[] = [];
      const next = skipSubBlocks(at + 10 + table(gif[at + 9]!) + 1, subBlocks);
      onImage(at, subBlocks);
      at = next;
    } else throw new Error(`unexpected GIF block 0x${gif[at]!.toString(16)} at ${at}`);
  }
}

/** The LZW data of every frame (inside its sub-blocks, whose length bytes stay). */
function gifLzw(gif: Uint8Array): Range[] {
  const ranges: Range[] = [];
  walkGif(gif, (_, subBlocks) => ranges.push(...subBlocks));
  return ranges;
}

/** Offset of the first ISO-BMFF box `type` found at `from` or inside the container boxes named. */
function isoBox(bytes: Uint8Array, type: string, containers: string[] = ['meta', 'iprp', 'ipco'], from = 0, to = bytes.length): [number, number] {
  for (let at = from; at + 8 <= to; ) {
    const size = viewOf(bytes).getUint32(at);
    const boxType = ascii(bytes, at + 4);
    if (boxType === type) return [at, size];
    if (containers.includes(boxType)) {
      try {
        return isoBox(bytes, type, containers, at + (boxType === 'meta' ? 12 : 8), at + size);
      } catch {
        // not inside this one
      }
    }
    at += size;
  }
  throw new Error(`no ${type} box`);
}

/** The AVIF's mdat payload: the AV1 bitstream. */
function avifMdat(avif: Uint8Array): Range[] {
  const [at, size] = isoBox(avif, 'mdat');
  return [[at + 8, at + size]];
}

/** IFD0 entries of a little-endian TIFF: tag → [entry offset, type, count, value or value offset]. */
function tiffEntries(tiff: Uint8Array): Map<number, [number, number, number, number]> {
  if (ascii(tiff, 0, 2) !== 'II') throw new Error('only little-endian TIFFs');
  const view = viewOf(tiff);
  const ifd = view.getUint32(4, true);
  const entries = new Map<number, [number, number, number, number]>();
  for (let i = 0; i < view.getUint16(ifd, true); i++) {
    const at = ifd + 2 + i * 12;
    const type = view.getUint16(at + 2, true);
    const value = type === 3 ? view.getUint16(at + 8, true) : view.getUint32(at + 8, true);
    entries.set(view.getUint16(at, true), [at, type, view.getUint32(at + 4, true), value]);
  }
  return entries;
}

/** Every strip of IFD0 (StripOffsets 273, StripByteCounts 279). */
function tiffStrips(tiff: Uint8Array): Range[] {
  const entries = tiffEntries(tiff);
  const values = (tag: number): number[] => {
    const [, type, count, value] = entries.get(tag) ?? [0, 0, 0, 0];
    const width = type === 3 ? 2 : 4;
    if (count * width <= 4) return [value];
    return Array.from({ length: count }, (_, i) => (width === 2 ? viewOf(tiff).getUint16(value + 2 * i, true) : viewOf(tiff).getUint32(value + 4 * i, true)));
  };
  const lengths = values(279);
  return values(273).map((offset, i) => [offset, offset + lengths[i]!]);
}

/**
 * The image with its header intact and its body (the compressed pixels) replaced by garbage of the same
 * length: JPEG scan data, PNG IDAT (CRCs fixed), WebP VP8 data, GIF LZW data, AVIF mdat, TIFF strips.
 */
export function withGarbageBody(format: ImageFormat, bytes: Uint8Array): Uint8Array {
  switch (format) {
    case 'jpeg':
      return overwritten(bytes, jpegScan(bytes), 0xff);
    case 'png':
      return withPngCrcs(overwritten(bytes, pngIdat(bytes)));
    case 'webp':
      return overwritten(bytes, webpVp8(bytes));
    case 'gif':
      return overwritten(bytes, gifLzw(bytes));
    case 'avif':
      return overwritten(bytes, avifMdat(bytes));
    case 'tiff':
      return overwritten(bytes, tiffStrips(bytes));
  }
}

/** The PNG with the data of every IDAT chunk replaced by garbage (CRCs recomputed). */
export function withGarbageIdat(png: Uint8Array): Uint8Array {
  return withGarbageBody('png', png);
}

const HTML_PAYLOAD = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';
const html = () => new TextEncoder().encode(HTML_PAYLOAD);

/** A valid JPEG with an HTML page appended after its end-of-image marker (a classic polyglot). */
export function withHtmlAppended(jpeg: Uint8Array): Uint8Array {
  return concat(jpeg, html());
}

/** A valid JPEG carrying the HTML page in a comment (COM) segment right after its start-of-image marker. */
export function withHtmlComment(jpeg: Uint8Array): Uint8Array {
  const payload = html();
  const segment = new Uint8Array(4 + payload.length);
  segment.set([0xff, 0xfe, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  segment.set(payload, 4);
  return concat(jpeg.subarray(0, 2), segment, jpeg.subarray(2));
}

/** A valid PNG carrying the HTML page in a tEXt chunk right after IHDR, and again after IEND. */
export function pngWithHtml(png: Uint8Array): Uint8Array {
  const text = concat(new TextEncoder().encode('Comment\0'), html());
  const chunk = new Uint8Array(12 + text.length);
  viewOf(chunk).setUint32(0, text.length);
  chunk.set(new TextEncoder().encode('tEXt'), 4);
  chunk.set(text, 8);
  viewOf(chunk).setUint32(8 + text.length, crc32(chunk.subarray(4, 8 + text.length)));
  const afterHeader = 8 + 12 + 13;
  return concat(png.subarray(0, afterHeader), chunk, png.subarray(afterHeader), html());
}

/** A valid GIF carrying the HTML page in a comment extension before its first image, and again after its trailer. */
export function gifWithHtml(gif: Uint8Array): Uint8Array {
  let first = -1;
  walkGif(gif, (descriptor) => (first = first < 0 ? descriptor : first));
  const payload = html();
  const subBlocks = [];
  for (let at = 0; at < payload.length; at += 255) {
    const part = payload.subarray(at, at + 255);
    subBlocks.push(Uint8Array.of(part.length), part);
  }
  return concat(gif.subarray(0, first), Uint8Array.of(0x21, 0xfe), ...subBlocks, Uint8Array.of(0), gif.subarray(first), html());
}

export const SCRIPT_MARKER = '<script>';

/**
 * Decompression bombs: a tiny real encode (sharp) whose header is rewritten to declare `width` × `height`.
 * The body stays the tiny one: a decoder that trusted the header would allocate and work for the lie.
 */
async function tiny(format: ImageFormat, side = 16): Promise<Uint8Array> {
  const canvas = sharp({ create: { width: side, height: side, channels: 3, background: { r: 200, g: 30, b: 30 } } });
  return new Uint8Array(await canvas.toFormat(format, format === 'avif' ? { effort: 0 } : {}).toBuffer());
}

/** JPEG: the SOF0 frame header's height and width (16 bits each, so at most 65535). */
export async function jpegBomb(width: number, height: number): Promise<Uint8Array> {
  const jpeg = await tiny('jpeg');
  const sof = jpegSegment(jpeg, 0xc0);
  viewOf(jpeg).setUint16(sof + 5, height);
  viewOf(jpeg).setUint16(sof + 7, width);
  return jpeg;
}

/** PNG: IHDR's width and height (CRC recomputed). */
export async function pngBomb(width: number, height: number): Promise<Uint8Array> {
  const png = await tiny('png');
  viewOf(png).setUint32(16, width);
  viewOf(png).setUint32(20, height);
  return withPngCrcs(png);
}

/** GIF (from a 1×1 encode): the logical screen and the frame's image descriptor (16 bits each, little-endian). */
export async function gifBomb(width: number, height: number): Promise<Uint8Array> {
  const gif = await tiny('gif', 1);
  const sizes = [6];
  walkGif(gif, (descriptor) => sizes.push(descriptor + 5));
  for (const at of sizes) {
    viewOf(gif).setUint16(at, width, true);
    viewOf(gif).setUint16(at + 2, height, true);
  }
  return gif;
}

/**
 * WebP (lossy): the VP8 frame header's 14-bit width and height; with `canvas`, the frame wrapped in an
 * extended (VP8X) container declaring that canvas (24 bits, stored minus one).
 */
export async function webpBomb(width: number, height: number, canvas?: { width: number; height: number }): Promise<Uint8Array> {
  const webp = await tiny('webp');
  const [, at] = webpChunks(webp).find(([fourcc]) => fourcc === 'VP8 ') ?? [];
  if (at === undefined) throw new Error('no VP8 chunk');
  viewOf(webp).setUint16(at + 6, width & 0x3fff, true);
  viewOf(webp).setUint16(at + 8, height & 0x3fff, true);
  if (!canvas) return webp;
  const vp8x = new Uint8Array(18);
  vp8x.set(new TextEncoder().encode('VP8X'));
  viewOf(vp8x).setUint32(4, 10, true);
  const uint24 = (at: number, value: number) => vp8x.set([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff], at);
  uint24(12, canvas.width - 1);
  uint24(15, canvas.height - 1);
  const extended = concat(webp.subarray(0, 12), vp8x, webp.subarray(12));
  viewOf(extended).setUint32(4, extended.length - 8, true);
  return extended;
}

/** AVIF: the ispe (image spatial extent) property, 32 bits each. */
export async function avifBomb(width: number, height: number): Promise<Uint8Array> {
  const avif = await tiny('avif');
  const [ispe] = isoBox(avif, 'ispe');
  viewOf(avif).setUint32(ispe + 12, width);
  viewOf(avif).setUint32(ispe + 16, height);
  return avif;
}

/** TIFF: ImageWidth (256) and ImageLength (257), rewritten as LONGs. */
export async function tiffBomb(width: number, height: number): Promise<Uint8Array> {
  const tiff = await tiny('tiff');
  const entries = tiffEntries(tiff);
  for (const [tag, value] of [[256, width], [257, height]] as const) {
    const [at] = entries.get(tag) ?? [];
    if (at === undefined) throw new Error(`no TIFF tag ${tag}`);
    viewOf(tiff).setUint16(at + 2, 4, true);
    viewOf(tiff).setUint32(at + 8, value, true);
  }
  return tiff;
}

/**
 * A black 8-bit RGB PNG of `width` × `height` in about a thousandth of its raw size, built without
 * encoding it: zero rows compress to one deflate block repeated (each ends on a full flush, so the copies
 * chain into one valid stream), then the Adler-32 of all zeros. Decoding it still inflates every row.
 */
export function blackPng(width: number, height: number): Uint8Array {
  const total = height * (1 + width * 3);
  const BLOCK = 1 << 20;
  const flushed = (length: number) => deflateRawSync(Buffer.alloc(length), { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
  const block = flushed(BLOCK);
  const stream = [Uint8Array.of(0x78, 0x01), ...Array.from({ length: Math.floor(total / BLOCK) }, () => block)];
  if (total % BLOCK) stream.push(flushed(total % BLOCK));
  const adler = new Uint8Array(4);
  viewOf(adler).setUint32(0, ((total % 65521) * 65536 + 1) >>> 0);
  stream.push(Uint8Array.of(0x01, 0x00, 0x00, 0xff, 0xff), adler);
  const header = new Uint8Array(13);
  viewOf(header).setUint32(0, width);
  viewOf(header).setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8);
  const chunk = (type: string, data: Uint8Array) => {
    const out = concat(new Uint8Array(8), data, new Uint8Array(4));
    viewOf(out).setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    return out;
  };
  return withPngCrcs(concat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', header), chunk('IDAT', concat(...stream)), chunk('IEND', new Uint8Array(0))));
}

/** Where the photo was taken, as the fixture's EXIF GPS IFD says: degrees, minutes, seconds. */
export const GPS_LATITUDE = [48, 51, 29.8] as const;

/** `source` re-encoded as a JPEG carrying camera EXIF, a GPS IFD and an XMP packet with the same position. */
export async function jpegWithGps(source: Uint8Array): Promise<Uint8Array> {
  const xmp =
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4966N" exif:GPSLongitude="2,17.67E"/>' +
    '</rdf:RDF></x:xmpmeta>';
  const exif = {
    IFD0: { Make: 'Spycam', Model: 'One' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 298/10', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 402/10' },
  };
  return new Uint8Array(await sharp(source).withExif(exif).withXmp(xmp).jpeg().toBuffer());
}

/** The GPSLatitude (tag 2 of the GPS IFD, pointed to by tag 0x8825 of IFD0) in an EXIF block, or null. */
export function gpsLatitudeIn(exif: Uint8Array | undefined): number[] | null {
  if (!exif || ascii(exif, 0, 4) !== 'Exif') return null;
  const tiff = exif.subarray(6);
  const little = ascii(tiff, 0, 2) === 'II';
  const view = viewOf(tiff);
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const entry = (ifd: number, tag: number) => {
    for (let i = 0; i < u16(ifd); i++) if (u16(ifd + 2 + i * 12) === tag) return ifd + 2 + i * 12;
    return null;
  };
  const pointer = entry(u32(4), 0x8825);
  const latitude = pointer === null ? null : entry(u32(pointer + 8), 2);
  if (latitude === null) return null;
  const values = u32(latitude + 8);
  return [0, 1, 2].map((i) => u32(values + 8 * i) / u32(values + 8 * i + 4));
}
