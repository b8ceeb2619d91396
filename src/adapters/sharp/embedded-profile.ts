import type { ImageFormat } from '../../domain/image-format.js';

/**
 * An embedded ICC profile as the container's own structure gives it, without any decoder: its bytes,
 * `undefined` where the container says there is none, or UNKNOWN where only libvips can tell.
 */
export type EmbeddedProfile = Uint8Array | undefined | typeof UNKNOWN;
export const UNKNOWN = 'unknown';

/**
 * The ICC profile `bytes` embed, read from the container's structure: libvips' header read costs a
 * decoder set-up and a trip to the thread pool (0.3 – 0.9 ms of CPU on the bench's machines), this a
 * walk over a few segments (a few µs).
 * - A JPEG's profile is its APP2 "ICC_PROFILE" segments before the scan, numbered 1 to n, joined in
 *   order: what libvips assembles. Anything it might assemble otherwise (a number missing, twice or
 *   out of range, a look-alike name) is UNKNOWN.
 * - A PNG with no iCCP chunk before its pixel data, and a WebP in the simple format (which has no room
 *   for one), have none. A PNG's iCCP is compressed: UNKNOWN, as is an extended WebP.
 * - Malformed bytes and the other formats: UNKNOWN.
 * The answer only decides whether a profile's conversion is skipped (see srgb-profile.ts), and it is
 * the profile libvips itself would find, so no answer changes a decode's pixels.
 */
export function embeddedIccProfile(bytes: Uint8Array, format: ImageFormat): EmbeddedProfile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (format === 'jpeg') return jpegProfile(bytes, view);
    if (format === 'png') return pngHasNoProfile(bytes, view) ? undefined : UNKNOWN;
    // RIFF, size, WEBP, then the first chunk: a simple file (VP8 or VP8L first) holds nothing else.
    if (format === 'webp') return ['VP8 ', 'VP8L'].includes(ascii(bytes, 12, 4)) ? undefined : UNKNOWN;
  } catch {
    // Read past the end: malformed, so libvips decides.
  }
  return UNKNOWN;
}

const ICC_NAME = 'ICC_PROFILE';
/** The name, its NUL, the segment's number and the count of segments. */
const ICC_PREFIX_LENGTH = ICC_NAME.length + 3;
/** libvips joins at most this many segments. */
const MAX_SEGMENTS = 100;

function jpegProfile(bytes: Uint8Array, view: DataView): EmbeddedProfile {
  const chunks: (Uint8Array | undefined)[] = [];
  let count = 0;
  let offset = 2; // after SOI
  for (;;) {
    if (view.getUint8(offset) !== 0xff) return UNKNOWN;
    const marker = view.getUint8(offset + 1);
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // Start of scan, or end of image: every segment a profile may be in has been seen.
    if (marker === 0xda || marker === 0xd9) return joined(chunks, count);
    // A marker with no length (or a stuffed zero) has no place before the scan: leave it to the decoder.
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) return UNKNOWN;
    const length = view.getUint16(offset + 2);
    const data = offset + 4;
    if (marker === 0xe2 && ascii(bytes, data, ICC_NAME.length) === ICC_NAME) {
      const number = view.getUint8(data + ICC_NAME.length + 1);
      const of = view.getUint8(data + ICC_NAME.length + 2);
      const end = offset + 2 + length;
      if (end > bytes.length || length - 2 <= ICC_PREFIX_LENGTH || view.getUint8(data + ICC_NAME.length) !== 0) return UNKNOWN;
      if (number < 1 || number > of || of > MAX_SEGMENTS || (count !== 0 && of !== count) || chunks[number - 1] !== undefined) return UNKNOWN;
      count = of;
      chunks[number - 1] = bytes.subarray(data + ICC_PREFIX_LENGTH, end);
    }
    offset += 2 + length;
  }
}

/** The chunks joined, when all `count` are there; UNKNOWN when some are missing. */
function joined(chunks: readonly (Uint8Array | undefined)[], count: number): EmbeddedProfile {
  if (count === 0) return undefined;
  const parts = Array.from({ length: count }, (_, i) => chunks[i]);
  return parts.every((part): part is Uint8Array => part !== undefined) ? Buffer.concat(parts) : UNKNOWN;
}

function pngHasNoProfile(bytes: Uint8Array, view: DataView): boolean {
  let offset = 8; // after the signature
  for (;;) {
    const length = view.getUint32(offset);
    const type = ascii(bytes, offset + 4, 4);
    if (type === 'iCCP') return false;
    if (type === 'IDAT' || type === 'IEND') return true;
    offset += 12 + length;
  }
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (offset + length > bytes.length) throw new RangeError('past the end');
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}
