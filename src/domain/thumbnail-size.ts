import { InvalidParameterError } from './errors.js';

export interface Dimensions {
  readonly width: number;
  readonly height: number;
}

const MIN_EDGE = 16;
const MAX_EDGE = 4096;

/** The edge of the square box a thumbnail must fit in (300 means "fits inside 300×300"). */
export class ThumbnailSize {
  private constructor(readonly edge: number) {}

  static of(edge: number): ThumbnailSize {
    if (!Number.isInteger(edge) || edge < MIN_EDGE || edge > MAX_EDGE) {
      throw new InvalidParameterError('thumbnail size', `${edge} is not a whole number from ${MIN_EDGE} to ${MAX_EDGE}`);
    }
    return new ThumbnailSize(edge);
  }

  /**
   * The dimensions of a thumbnail of `source` inside this box: aspect ratio kept, never upscaled,
   * rounded exactly as Pillow's `Image.thumbnail((edge, edge))` rounds, so clients ported from the
   * Python service see the same sizes.
   */
  fit(source: Dimensions): Dimensions {
    const box = this.edge;
    const { width, height } = source;
    if (box >= width && box >= height) return { width, height };
    const aspect = width / height;
    if (1 >= aspect) {
      return { width: roundAspect(box * aspect, (n) => Math.abs(aspect - n / box)), height: box };
    }
    return { width: box, height: roundAspect(box / aspect, (n) => (n === 0 ? 0 : Math.abs(aspect - box / n))) };
  }
}

/** Pillow's round_aspect: floor or ceil, whichever keeps the aspect ratio closer (floor on a tie), at least 1. */
function roundAspect(value: number, distance: (n: number) => number): number {
  const down = Math.floor(value);
  const up = Math.ceil(value);
  return Math.max(distance(up) < distance(down) ? up : down, 1);
}
