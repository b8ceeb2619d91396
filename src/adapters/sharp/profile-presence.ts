import type { ImageFormat } from '../../domain/image-format.js';

/**
 * Whether `bytes` may embed an ICC profile, read from the container's own structure without any
 * decoder: false only where it says there is none (a JPEG with no APP2 "ICC_PROFILE" segment before
 * its scan, a PNG with no iCCP chunk before its pixel data, a WebP in the simple format, which has no
 * room for one). Malformed bytes and the other formats may: the caller then reads the header with
 * libvips. The answer only decides whether the header is read for a profile whose conversion can be
 * skipped: where it wrongly says no, libvips still finds the profile and converts from it, as it
 * always did, so no answer changes a decode's pixels.
 */
export function mayEmbedIccProfile(bytes: Uint8Array, format: ImageFormat): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (format === 'jpeg') return jpegMayEmbed(bytes, view);
    if (format === 'png') return pngMayEmbed(bytes, view);
    // RIFF, size, WEBP, then the first chunk: a simple file (VP8 or VP8L first) holds nothing else.
    if (format === 'webp') return !['VP8 ', 'VP8L'].includes(ascii(bytes, 12, 4));
  } catch {
    // Read past the end: malformed, so libvips decides.
  }
  return true;
}

const ICC_PROFILE = 'ICC_PROFILE\0';

function jpegMayEmbed(bytes: Uint8Array, view: DataView): boolean {
  let offset = 2; // after SOI
  for (;;) {
    if (view.getUint8(offset) !== 0xff) return true;
    const marker = view.getUint8(offset + 1);
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // Start of scan, or end of image: every segment a profile may be in has been seen.
    if (marker === 0xda || marker === 0xd9) return false;
    const length = view.getUint16(offset + 2);
    if (marker === 0xe2 && ascii(bytes, offset + 4, ICC_PROFILE.length) === ICC_PROFILE) return true;
    offset += 2 + length;
  }
}

function pngMayEmbed(bytes: Uint8Array, view: DataView): boolean {
  let offset = 8; // after the signature
  for (;;) {
    const length = view.getUint32(offset);
    const type = ascii(bytes, offset + 4, 4);
    if (type === 'iCCP') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    offset += 12 + length;
  }
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (offset + length > bytes.length) throw new RangeError('past the end');
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}
