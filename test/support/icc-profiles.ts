import sharp from 'sharp';

/** ICC profiles for tests: sharp's own, and hand-built ones as editors write them. */

/** The ICC profile sharp embeds for one of its named profiles, read back from a tiny JPEG. */
export async function namedProfile(name: 'srgb' | 'p3' | 'cmyk'): Promise<Uint8Array> {
  const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).withIccProfile(name).jpeg().toBuffer();
  const { icc } = await sharp(jpeg).metadata();
  if (!icc) throw new Error(`no ${name} profile embedded`);
  return icc;
}

export type Tag = readonly [signature: string, data: Buffer];

/** A v2 RGB display profile holding `tags` (each 4-byte aligned), as an editor writes one. */
export function profile(tags: readonly Tag[]): Buffer {
  const tableBytes = 4 + 12 * tags.length;
  let offset = 128 + tableBytes;
  const table = Buffer.alloc(tableBytes);
  table.writeUInt32BE(tags.length, 0);
  tags.forEach(([signature, data], i) => {
    table.write(signature, 4 + 12 * i, 'latin1');
    table.writeUInt32BE(offset, 8 + 12 * i);
    table.writeUInt32BE(data.length, 12 + 12 * i);
    offset += data.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt8(2, 8);
  header.write('mntr', 12, 'latin1');
  header.write('RGB ', 16, 'latin1');
  header.write('XYZ ', 20, 'latin1');
  header.write('acsp', 36, 'latin1');
  return Buffer.concat([header, table, ...tags.map(([, data]) => data)]);
}

export function xyz(values: readonly number[]): Buffer {
  const data = Buffer.alloc(20);
  data.write('XYZ ', 0, 'latin1');
  values.forEach((value, i) => data.writeInt32BE(Math.round(value * 65536), 8 + 4 * i));
  return data;
}

/** A `curv` tone curve: a table of `count` (2 or more) entries sampled from `linear`. */
export function curve(count: number, linear: (x: number) => number): Buffer {
  const data = Buffer.alloc(12 + 2 * count + (count % 2 === 1 ? 2 : 0));
  data.write('curv', 0, 'latin1');
  data.writeUInt32BE(count, 8);
  for (let i = 0; i < count; i++) data.writeUInt16BE(Math.round(linear(i / (count - 1)) * 65535), 12 + 2 * i);
  return data;
}

export const srgbDecode = (x: number) => (x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);
export const SRGB_COLORANTS: readonly Tag[] = [
  ['rXYZ', xyz([0.4361, 0.2225, 0.0139])],
  ['gXYZ', xyz([0.3851, 0.7169, 0.0971])],
  ['bXYZ', xyz([0.1431, 0.0606, 0.7141])],
];
/** As HP's 1998 "sRGB IEC61966-2.1": sRGB's colorants and a 1024-entry tone curve. */
export const HP_STYLE_SRGB = profile([...SRGB_COLORANTS, ...['rTRC', 'gTRC', 'bTRC'].map((signature): Tag => [signature, curve(1024, srgbDecode)])]);

/** `jpeg` with `icc` embedded as its APP2 ICC_PROFILE segment, right after SOI: the same pixel data, tagged. */
export function withIccProfile(jpeg: Uint8Array, icc: Uint8Array): Buffer {
  return withIccSegments(jpeg, [{ number: 1, count: 1, data: icc }]);
}

export interface IccSegment {
  readonly number: number;
  readonly count: number;
  readonly data: Uint8Array;
  /** What the segment is named instead of `ICC_PROFILE\0`, for look-alikes. */
  readonly name?: string;
}

/** `icc` cut into `count` segments of near-equal length, numbered 1 to `count` in order. */
export function iccSegments(icc: Uint8Array, count: number): IccSegment[] {
  const size = Math.ceil(icc.length / count);
  return Array.from({ length: count }, (_, i) => ({ number: i + 1, count, data: icc.subarray(i * size, (i + 1) * size) }));
}

/** `jpeg` with these APP2 segments, in this order, right after SOI. */
export function withIccSegments(jpeg: Uint8Array, segments: readonly IccSegment[]): Buffer {
  const parts = segments.map(({ number, count, data, name = 'ICC_PROFILE\0' }) => {
    const marker = Buffer.from(name, 'latin1');
    const head = Buffer.alloc(4 + marker.length + 2);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(2 + marker.length + 2 + data.length, 2);
    marker.copy(head, 4);
    head.writeUInt8(number, 4 + marker.length);
    head.writeUInt8(count, 5 + marker.length);
    return Buffer.concat([head, data]);
  });
  return Buffer.concat([jpeg.subarray(0, 2), ...parts, jpeg.subarray(2)]);
}
