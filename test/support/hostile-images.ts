import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { concat } from './sample-images.js';

const PNG_SIGNATURE_LENGTH = 8;

/**
 * The PNG with the data of every IDAT chunk replaced by random bytes (same length, CRC recomputed):
 * the header and the chunk structure are valid, the compressed pixels are garbage.
 */
export function withGarbageIdat(png: Uint8Array): Uint8Array {
  const out = Uint8Array.from(png);
  const view = new DataView(out.buffer);
  let offset = PNG_SIGNATURE_LENGTH;
  let replaced = 0;
  while (offset + 8 <= out.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(out.subarray(offset + 4, offset + 8));
    if (type === 'IDAT') {
      out.set(randomBytes(length), offset + 8);
      view.setUint32(offset + 8 + length, crc32(out.subarray(offset + 4, offset + 8 + length)));
      replaced++;
    }
    offset += 12 + length;
  }
  if (replaced === 0) throw new Error('no IDAT chunk found');
  return out;
}

const HTML_PAYLOAD = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';

/** A valid JPEG with an HTML page appended after its end-of-image marker (a classic polyglot). */
export function withHtmlAppended(jpeg: Uint8Array): Uint8Array {
  return concat(jpeg, new TextEncoder().encode(HTML_PAYLOAD));
}

/** A valid JPEG carrying the HTML page in a comment (COM) segment right after its start-of-image marker. */
export function withHtmlComment(jpeg: Uint8Array): Uint8Array {
  const payload = new TextEncoder().encode(HTML_PAYLOAD);
  const segment = new Uint8Array(4 + payload.length);
  segment.set([0xff, 0xfe, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  segment.set(payload, 4);
  return concat(jpeg.subarray(0, 2), segment, jpeg.subarray(2));
}

export const SCRIPT_MARKER = '<script>';
