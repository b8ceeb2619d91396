import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import sharp, { type Sharp } from 'sharp';

// The services run with libvips' operation cache off (the wiring gives SharpImageResizer operationCache:
// false). The yardstick runs as they do: in the bench's process, and in the one-core lanes, which import this.
sharp.cache(false);

/**
 * The yardstick for the thumbnail pipeline: sharp alone doing the same pixel work as imagehost's
 * resizer, with nothing around it (no sniffing, no probe, no storage, no database): one decode with
 * EXIF orientation applied, alpha flattened on white, sRGB; the largest box first, every smaller
 * size derived from its pixels; each encoded with the same format and quality. `ignoreIcc` is the
 * resizer's own choice for these bytes (an embedded profile that is sRGB in all but name is not
 * converted from: see srgb-profile.ts), made by the caller beforehand, untimed.
 */
export interface RawOptions {
  readonly sizes: readonly number[];
  readonly format: 'jpeg' | 'webp' | 'avif';
  readonly quality: number;
}

export async function rawSharpRender(bytes: Uint8Array, { sizes, format, quality }: RawOptions, ignoreIcc = false): Promise<number> {
  const largest = Math.max(...sizes);
  const decoded = sharp(bytes, { failOn: 'error', sequentialRead: true, pages: 1, page: 0, limitInputPixels: 100_000_000, ignoreIcc })
    .autoOrient()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb');
  if (sizes.length === 1) {
    await encode(box(decoded, largest), format, quality).toBuffer();
    return 1;
  }
  const { data, info } = await box(decoded, largest).raw().toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };
  const outputs = await Promise.all(sizes.map((size) => encode(box(sharp(data, { raw }), size), format, quality).toBuffer()));
  return outputs.length;
}

function box(pipeline: Sharp, size: number): Sharp {
  return pipeline.resize(size, size, { fit: 'inside', withoutEnlargement: true });
}

/** The same encoder settings as the SharpImageResizer adapter. */
function encode(pipeline: Sharp, format: RawOptions['format'], quality: number): Sharp {
  if (format === 'webp') return pipeline.webp({ quality });
  if (format === 'avif') return pipeline.avif({ quality, effort: 2 });
  return pipeline.jpeg({ quality, mozjpeg: false });
}

/**
 * What this machine gives two-way parallel thumbnail work right now: raw sharp over the same images
 * two at a time ÷ one at a time (renditions/s), alternating so that both see the same background load.
 * On an idle 2-core machine it is near 2; other processes on the machine pull it down.
 */
export async function parallelCeiling(images: readonly Uint8Array[], options: RawOptions, rounds: number): Promise<{ one: number; two: number; ratio: number }> {
  const seconds = { 1: 0, 2: 0 };
  let renditions = 0;
  for (let round = 0; round < rounds; round++) {
    for (const lanes of round % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      const started = performance.now();
      let next = 0;
      let made = 0;
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          while (next < images.length) made += await rawSharpRender(images[next++]!, options);
        }),
      );
      seconds[lanes] += (performance.now() - started) / 1000;
      if (lanes === 1) renditions += made;
    }
  }
  const one = renditions / seconds[1];
  const two = renditions / seconds[2];
  return { one, two, ratio: two / one };
}

/**
 * The same ceiling for workers with a core each: raw sharp in two processes, each on a core of its own
 * (`taskset`), ÷ one such process, over the same image files, alternating which goes first. Each lane
 * loads and warms up before a common start, so process start-up is not timed.
 */
export async function pinnedCeiling(files: readonly string[], options: RawOptions, rounds: number): Promise<{ one: number; two: number; ratio: number }> {
  const rates: Record<1 | 2, number[]> = { 1: [], 2: [] };
  for (let round = 0; round < rounds; round++) {
    for (const lanes of round % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      const results = await runLanes(lanes, files, options);
      const seconds = Math.max(...results.map((r) => r.seconds));
      rates[lanes].push(results.reduce((a, r) => a + r.renditions, 0) / seconds);
    }
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return { one: mean(rates[1]), two: mean(rates[2]), ratio: mean(rates[2]) / mean(rates[1]) };
}

async function runLanes(lanes: number, files: readonly string[], options: RawOptions): Promise<{ renditions: number; seconds: number }[]> {
  const lane = path.join(import.meta.dirname, 'raw-sharp-lane.ts');
  const children = Array.from({ length: lanes }, (_, core) =>
    spawn('taskset', ['--cpu-list', String(core), process.execPath, '--import', 'tsx', lane, JSON.stringify(options), ...files], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const failures = children.map(() => '');
  children.forEach((child, i) => child.once('error', (error) => (failures[i] = `: ${error.message}`)));
  try {
    const outputs = children.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
    const nextLine = async (i: number) => {
      const line: IteratorResult<string> = await outputs[i]!.next();
      if (line.done) throw new Error(`raw sharp lane ${i + 1} (taskset --cpu-list ${i} node …) exited early${failures[i]}`);
      return line.value;
    };
    await Promise.all(children.map((_, i) => nextLine(i)));
    for (const child of children) child.stdin.write('go\n');
    return await Promise.all(children.map(async (_, i) => JSON.parse(await nextLine(i)) as { renditions: number; seconds: number }));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}
