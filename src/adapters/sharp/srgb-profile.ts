/**
 * Whether an embedded ICC profile is sRGB in all but name: converting pixels from it to sRGB (what
 * sharp does on every decode of an image that carries one) would change no 8-bit value. Most camera
 * and editor JPEGs embed such a profile (HP's 1998 "sRGB IEC61966-2.1", libvips' and lcms' compact
 * ones). The conversion runs on every decoded pixel, before the resize, through lcms: for a 2560-px
 * JPEG decoded for a 600-px box it took as long as the decode itself. Decoding such an image with its
 * profile ignored gives the same pixels in half the time.
 *
 * Only a matrix/TRC RGB profile can qualify: its colorants must be sRGB's (D50-adapted, within 0.001),
 * each tone curve must map every 8-bit value to sRGB's own linear value within half a step, and it must
 * hold no lookup tables (A2B / B2A / D2B tags), which lcms would use in place of the matrix for
 * sharp's perceptual intent. Anything else, or anything malformed, is not sRGB: the caller converts.
 */
export function isSrgbProfile(icc: Uint8Array | undefined): boolean {
  if (icc === undefined) return false; // no profile: nothing to skip
  try {
    return matchesSrgb(new DataView(icc.buffer, icc.byteOffset, icc.byteLength));
  } catch {
    return false; // a tag table, tag or curve reaching past the end: not a profile to trust
  }
}

/** sRGB's colorants adapted to the D50 PCS, as the ICC's own sRGB profiles give them (rXYZ, gXYZ, bXYZ). */
const COLORANTS = {
  rXYZ: [0.4361, 0.2225, 0.0139],
  gXYZ: [0.3851, 0.7169, 0.0971],
  bXYZ: [0.1431, 0.0606, 0.7141],
} as const;
const COLORANT_TOLERANCE = 0.001;
const CURVES = ['rTRC', 'gTRC', 'bTRC'] as const;
/** Lookup-table tags, which lcms would use in place of the matrix and curves. */
const LOOKUP_TABLE = /^(A2B|B2A|D2B)/;
const HEADER_BYTES = 128;

// Plain loops and functions declared once, no closures made per call: this runs in every job whose
// image embeds a profile, and V8 drops the optimized code of closures that no longer exist at each full
// garbage collection, which a worker's image buffers bring every few dozen jobs. Closures here were
// compiled again after each one (see bench/NOTES.md, Tuning).
function matchesSrgb(view: DataView): boolean {
  if (view.byteLength < HEADER_BYTES + 4) return false;
  if (text(view, 36) !== 'acsp' || text(view, 16) !== 'RGB ' || text(view, 20) !== 'XYZ ') return false;
  const tags = tagTable(view);
  for (const signature of tags.keys()) if (LOOKUP_TABLE.test(signature)) return false;
  for (const [signature, expected] of Object.entries(COLORANTS)) {
    const offset = tags.get(signature);
    if (offset === undefined || text(view, offset) !== 'XYZ ') return false;
    for (let i = 0; i < expected.length; i++) {
      if (Math.abs(s15Fixed16(view, offset + 8 + 4 * i) - expected[i]!) > COLORANT_TOLERANCE) return false;
    }
  }
  for (const signature of CURVES) {
    const offset = tags.get(signature);
    const curve = offset === undefined ? null : toneCurve(view, offset);
    if (curve === null || !keepsEvery8BitValue(curve)) return false;
  }
  return true;
}

/**
 * Whether each 8-bit value, taken to linear light by `curve` and back by sRGB's, lands on itself: its
 * linear value must lie strictly between sRGB's for the half steps either side.
 */
function keepsEvery8BitValue(curve: ToneCurve): boolean {
  for (let i = 0; i < 256; i++) {
    const linear = linearLight(curve, i / 255);
    if (!(linear > HALF_STEPS[i]! && linear < HALF_STEPS[i + 1]!)) return false;
  }
  return true;
}

/** sRGB's linear light at i − ½ steps (i = 0 – 256), open-ended at both ends. */
const HALF_STEPS = Array.from({ length: 257 }, (_, i) => (i === 0 ? -Infinity : i === 256 ? Infinity : srgbDecode((i - 0.5) / 255)));

/** Tag signature → offset of its data. */
function tagTable(view: DataView): Map<string, number> {
  const count = view.getUint32(HEADER_BYTES);
  const tags = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const entry = HEADER_BYTES + 4 + 12 * i;
    const offset = view.getUint32(entry + 4);
    if (offset + view.getUint32(entry + 8) > view.byteLength) throw new RangeError('tag past the end of the profile');
    tags.set(text(view, entry), offset);
  }
  return tags;
}

/** A tone curve: sampled (`curv`, `count` 16-bit entries from `offset`) or parametric (`para`). */
type ToneCurve =
  | { readonly type: 'curv'; readonly view: DataView; readonly offset: number; readonly count: number }
  | ({ readonly type: 'para' } & Parametric);

/** The ICC's parametric curve of type `kind` (0 – 4) and its parameters, those the type leaves out at their neutral values. */
interface Parametric {
  readonly kind: number;
  readonly g: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly e: number;
  readonly f: number;
}

/** The `curv` or `para` tone curve at `offset`; null for any other type, and for an identity or a pure gamma `curv`. */
function toneCurve(view: DataView, offset: number): ToneCurve | null {
  const type = text(view, offset);
  if (type === 'curv') {
    const count = view.getUint32(offset + 8);
    return count < 2 ? null : { type, view, offset: offset + 12, count };
  }
  if (type === 'para') {
    const kind = view.getUint16(offset + 8);
    const count = [1, 3, 4, 5, 7][kind];
    if (count === undefined) return null;
    const parameters: number[] = [];
    for (let i = 0; i < count; i++) parameters.push(s15Fixed16(view, offset + 12 + 4 * i));
    const [g, a = 1, b = 0, c = 0, d = 0, e = 0, f = 0] = parameters;
    return { type, kind, g: g!, a, b, c, d, e, f };
  }
  return null;
}

/** `curve` at device value `x`, as linear light (both 0 – 1); a sampled curve interpolates linearly between entries. */
function linearLight(curve: ToneCurve, x: number): number {
  if (curve.type === 'para') return parametric(curve, x);
  const { view, offset, count } = curve;
  const position = x * (count - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, count - 1);
  const low = view.getUint16(offset + 2 * below) / 65535;
  return low + (view.getUint16(offset + 2 * above) / 65535 - low) * (position - below);
}

/** The ICC's parametric curve types 0 – 4 at `x`. */
function parametric({ kind, g, a, b, c, d, e, f }: Parametric, x: number): number {
  if (kind === 0) return x ** g;
  if (kind === 1) return x >= -b / a ? (a * x + b) ** g : 0;
  if (kind === 2) return x >= -b / a ? (a * x + b) ** g + c : c;
  if (kind === 3) return x >= d ? (a * x + b) ** g : c * x;
  return x >= d ? (a * x + b) ** g + e : c * x + f;
}

/** sRGB's own decoding, device value to linear light. */
function srgbDecode(value: number): number {
  return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
}

function s15Fixed16(view: DataView, offset: number): number {
  return view.getInt32(offset) / 65536;
}

function text(view: DataView, offset: number): string {
  return String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3));
}
