import { SharpImageResizer } from '../src/adapters/sharp/sharp-image-resizer.js';
import type { CorpusImage } from './corpus.js';
import { now } from './stats.js';

/**
 * Measure 2: what all configured sizes from one decode cost against one size alone, through the
 * SharpImageResizer adapter, one image at a time (so each figure is the cost of one render, not of
 * sharing cores). Three separate single-size renders are timed too, for contrast.
 */
export interface ResizerResult {
  readonly rounds: number;
  readonly images: number;
  /** Mean ms per image. */
  readonly single: number;
  readonly allSizes: number;
  readonly threeSeparate: number;
  readonly ratioAll: number;
  readonly ratioSeparate: number;
}

type Variant = 'single' | 'allSizes' | 'threeSeparate';

export async function measureResizer(
  corpus: readonly CorpusImage[],
  options: { rounds: number; sizes: readonly number[]; single: number; format: 'jpeg' | 'webp' | 'avif'; quality: number; threadsPerImage: number },
): Promise<ResizerResult> {
  const resizer = new SharpImageResizer({ maxPixels: 100_000_000, timeoutSeconds: 30, threadsPerImage: options.threadsPerImage, operationCache: false });
  const { sizes, format, quality } = options;
  const render = async (bytes: Uint8Array, asked: readonly number[]): Promise<void> => {
    const made = (await resizer.render(bytes, { sizes: asked, format, quality })).renditions.length;
    if (made !== asked.length) throw new Error(`render made ${made} renditions for ${asked.length} sizes`);
  };
  const variants: Record<Variant, (bytes: Uint8Array) => Promise<void>> = {
    single: (bytes) => render(bytes, [options.single]),
    allSizes: (bytes) => render(bytes, sizes),
    threeSeparate: async (bytes) => {
      for (const size of sizes) await render(bytes, [size]);
    },
  };
  const names = Object.keys(variants) as Variant[];
  for (const image of corpus.slice(0, 3)) for (const name of names) await variants[name](image.data); // warm-up
  const totals: Record<Variant, number> = { single: 0, allSizes: 0, threeSeparate: 0 };
  let turn = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (const image of corpus) {
      // Rotate the order per image so that no variant always runs first (cold) or last.
      for (let k = 0; k < names.length; k++) {
        const name = names[(turn + k) % names.length]!;
        const started = now();
        await variants[name](image.data);
        totals[name] += now() - started;
      }
      turn++;
    }
  }
  const count = options.rounds * corpus.length;
  const per = (name: Variant) => totals[name] / count;
  return {
    rounds: options.rounds,
    images: corpus.length,
    single: per('single'),
    allSizes: per('allSizes'),
    threeSeparate: per('threeSeparate'),
    ratioAll: totals.allSizes / totals.single,
    ratioSeparate: totals.threeSeparate / totals.single,
  };
}
