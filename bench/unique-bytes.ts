import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * imagehost deduplicates uploads of identical bytes (shared originals and renditions by checksum),
 * so an upload repeated by the bench would skip the work it is meant to time. Each upload gets
 * bytes of its own instead: the same pixels plus a random comment (a JPEG COM segment, a PNG tEXt
 * chunk), which decoders skip and which costs nothing to decode.
 */
export function uniqueBytes(data: Uint8Array): Uint8Array {
  const tag = Buffer.from(`imagehost-bench ${randomBytes(12).toString('hex')}`, 'latin1');
  if (data[0] === 0xff && data[1] === 0xd8) return withJpegComment(data, tag);
  if (data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) return withPngText(data, tag);
  throw new Error('uniqueBytes: only JPEG and PNG are supported');
}

/** Inserts a COM segment after the APPn segments (EXIF stays where readers look for it). */
function withJpegComment(data: Uint8Array, text: Buffer): Uint8Array {
  let offset = 2;
  while (offset + 4 <= data.length && data[offset] === 0xff) {
    const marker = data[offset + 1] ?? 0;
    if (marker < 0xe0 || marker > 0xef) break;
    offset += 2 + (((data[offset + 2] ?? 0) << 8) | (data[offset + 3] ?? 0));
  }
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  return Buffer.concat([data.subarray(0, offset), segment, data.subarray(offset)]);
}

/** Inserts a tEXt chunk just before IEND (the last 12 bytes of a PNG). */
function withPngText(data: Uint8Array, text: Buffer): Uint8Array {
  const body = Buffer.concat([Buffer.from('tEXt', 'latin1'), Buffer.from('Comment\0', 'latin1'), text]);
  const chunk = Buffer.alloc(8 + body.length);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), 4 + body.length);
  const iend = data.length - 12;
  if (Buffer.from(data.subarray(iend + 4, iend + 8)).toString('latin1') !== 'IEND') throw new Error('uniqueBytes: a PNG must end with its IEND chunk');
  return Buffer.concat([data.subarray(0, iend), chunk, data.subarray(iend)]);
}
