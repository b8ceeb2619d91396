/**
 * ThumbHash's encoder: `rgbaToThumbHash` of the thumbhash package (0.1.1, MIT, © 2023 Evan Wallace,
 * https://github.com/evanw/thumbhash; its licence is at the end of this file), the same arithmetic
 * in the same order, so the same bytes (the tests check it against the package), with two changes.
 * The DCT of a channel is a function declared once here, where the package makes it as a closure on
 * every call: V8 keeps a closure's optimized code only while some closure made from it is alive, so
 * each full garbage collection in a worker (the image buffers bring one every few dozen jobs) threw
 * it away, and the next jobs ran the DCT's loops unoptimized and compiled them again: 12 compiles in
 * 336 jobs, ~0.5 ms of CPU a job (see bench/NOTES.md, Tuning). And the channels are Float64Arrays of
 * their final size, not arrays grown an element at a time (the same doubles, less garbage). The
 * decoder stays the package's.
 */

const { PI, round, max, cos, abs } = Math;

/** The hash of `w` × `h` RGBA pixels (RGB not premultiplied by A), both at most 100. */
export function rgbaToThumbHash(w: number, h: number, rgba: Uint8Array): Uint8Array {
  if (w > 100 || h > 100) throw new Error(`${w}x${h} doesn't fit in 100x100`);

  // The average colour
  let avgR = 0;
  let avgG = 0;
  let avgB = 0;
  let avgA = 0;
  for (let i = 0, j = 0; i < w * h; i++, j += 4) {
    const alpha = rgba[j + 3]! / 255;
    avgR += (alpha / 255) * rgba[j]!;
    avgG += (alpha / 255) * rgba[j + 1]!;
    avgB += (alpha / 255) * rgba[j + 2]!;
    avgA += alpha;
  }
  if (avgA) {
    avgR /= avgA;
    avgG /= avgA;
    avgB /= avgA;
  }

  const hasAlpha = avgA < w * h;
  const lLimit = hasAlpha ? 5 : 7; // fewer luminance bits when there is alpha
  const lx = max(1, round((lLimit * w) / max(w, h)));
  const ly = max(1, round((lLimit * h) / max(w, h)));
  const l = new Float64Array(w * h); // luminance
  const p = new Float64Array(w * h); // yellow - blue
  const q = new Float64Array(w * h); // red - green
  const a = new Float64Array(w * h); // alpha

  // RGBA to LPQA, composited atop the average colour
  for (let i = 0, j = 0; i < w * h; i++, j += 4) {
    const alpha = rgba[j + 3]! / 255;
    const r = avgR * (1 - alpha) + (alpha / 255) * rgba[j]!;
    const g = avgG * (1 - alpha) + (alpha / 255) * rgba[j + 1]!;
    const b = avgB * (1 - alpha) + (alpha / 255) * rgba[j + 2]!;
    l[i] = (r + g + b) / 3;
    p[i] = (r + g) / 2 - b;
    q[i] = r - g;
    a[i] = alpha;
  }

  const [lDc, lAc, lScale] = encodeChannel(l, w, h, max(3, lx), max(3, ly));
  const [pDc, pAc, pScale] = encodeChannel(p, w, h, 3, 3);
  const [qDc, qAc, qScale] = encodeChannel(q, w, h, 3, 3);
  const [aDc, aAc, aScale] = hasAlpha ? encodeChannel(a, w, h, 5, 5) : [0, [], 0];

  // The constants
  const isLandscape = w > h;
  const header24 =
    round(63 * lDc) | (round(31.5 + 31.5 * pDc) << 6) | (round(31.5 + 31.5 * qDc) << 12) | (round(31 * lScale) << 18) | (Number(hasAlpha) << 23);
  const header16 = (isLandscape ? ly : lx) | (round(63 * pScale) << 3) | (round(63 * qScale) << 9) | (Number(isLandscape) << 15);
  const hash = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8];
  const acStart = hasAlpha ? 6 : 5;
  let acIndex = 0;
  if (hasAlpha) hash.push(round(15 * aDc) | (round(15 * aScale) << 4));

  // The varying factors
  for (const ac of hasAlpha ? [lAc, pAc, qAc, aAc] : [lAc, pAc, qAc]) {
    for (const f of ac) {
      hash[acStart + (acIndex >> 1)] = (hash[acStart + (acIndex >> 1)] ?? 0) | (round(15 * f) << ((acIndex++ & 1) << 2));
    }
  }
  return new Uint8Array(hash);
}

/** A channel's DCT: the DC (constant) term, the AC (varying) terms normalized to 0 – 1, and their scale. */
function encodeChannel(channel: Float64Array, w: number, h: number, nx: number, ny: number): [number, number[], number] {
  let dc = 0;
  const ac: number[] = [];
  let scale = 0;
  const fx = new Float64Array(w);
  for (let cy = 0; cy < ny; cy++) {
    for (let cx = 0; cx * ny < nx * (ny - cy); cx++) {
      let f = 0;
      for (let x = 0; x < w; x++) fx[x] = cos((PI / w) * cx * (x + 0.5));
      for (let y = 0; y < h; y++) {
        const fy = cos((PI / h) * cy * (y + 0.5));
        for (let x = 0; x < w; x++) f += channel[x + y * w]! * fx[x]! * fy;
      }
      f /= w * h;
      if (cx || cy) {
        ac.push(f);
        scale = max(scale, abs(f));
      } else {
        dc = f;
      }
    }
  }
  if (scale) for (let i = 0; i < ac.length; i++) ac[i] = 0.5 + (0.5 / scale) * ac[i]!;
  return [dc, ac, scale];
}

/*
 * The thumbhash package's licence, which covers the code above as a copy of its encoder:
 *
 * MIT License
 *
 * Copyright (c) 2023 Evan Wallace
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
 * associated documentation files (the "Software"), to deal in the Software without restriction,
 * including without limitation the rights to use, copy, modify, merge, publish, distribute,
 * sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in all copies or
 * substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
 * NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 * NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
 * OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
 * CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 */
