import type { Dimensions } from '../../domain/thumbnail-size.js';

/** Boxes holding the item properties, with the bytes to skip before their children (meta is a full box). */
const CONTAINERS = new Map([
  ['meta', 4],
  ['iprp', 0],
  ['ipco', 0],
]);

/**
 * The largest image spatial extent (`ispe` property) an AVIF declares, or null when it has none.
 *
 * libvips (8.18) sizes an AVIF from its ispe, but when a dimension is beyond its coordinate limit
 * (100 000 000) it leaves the image at 1 pixel wide or high instead of failing: a file of a few hundred
 * bytes declaring 1 000 000 000 × 1 000 000 000 would probe as 1 × 1 and pass any pixel limit. Reading
 * ispe here, in the header boxes only, keeps the limit honest.
 */
export function avifDeclaredExtent(bytes: Uint8Array): Dimensions | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: Dimensions[] = [];
  const walk = (from: number, to: number, depth: number): void => {
    for (let at = from; at + 8 <= to; ) {
      let size = view.getUint32(at);
      let header = 8;
      if (size === 1) {
        if (at + 16 > to) return;
        size = Number(view.getBigUint64(at + 8));
        header = 16;
      } else if (size === 0) {
        size = to - at;
      }
      if (size < header || at + size > to) return;
      const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      const skip = CONTAINERS.get(type);
      if (type === 'ispe' && size >= header + 12) {
        found.push({ width: view.getUint32(at + header + 4), height: view.getUint32(at + header + 8) });
      } else if (skip !== undefined && depth < 3) {
        walk(at + header + skip, at + size, depth + 1);
      }
      at += size;
    }
  };
  walk(0, bytes.length, 0);
  return found.reduce<Dimensions | null>((a, b) => (a && a.width * a.height >= b.width * b.height ? a : b), null);
}
