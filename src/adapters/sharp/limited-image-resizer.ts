import PQueue from 'p-queue';
import type { ImageInfo, ImageResizer, RenderOptions, RenderResult } from '../../ports/image-resizer.js';

/**
 * An ImageResizer (any: sharp's, or one of your own) that runs at most `renders` renders at once and
 * queues the rest in the order they come; probes, which read only a header, never wait. One per process,
 * shared by everything that renders in it.
 *
 * Why: a thumbnail job spends a sixth of its time on its storage and database (reading the original,
 * writing and fsyncing the renditions, recording them), when it needs no core. A process that runs more
 * jobs than renders (WORKER_CONCURRENCY, RENDER_CONCURRENCY) keeps the cores busy rendering meanwhile,
 * where a job that held its core through its writes left it idle; and the renders, which hold the decoded
 * pixels, stay as few as the cores can use. A job waiting its turn holds only its original's bytes.
 */
export class LimitedImageResizer implements ImageResizer {
  private readonly queue: PQueue;

  constructor(
    private readonly inner: ImageResizer,
    renders: number,
  ) {
    if (!(Number.isInteger(renders) && renders >= 1)) throw new RangeError(`renders must be a positive integer, got ${renders}`);
    this.queue = new PQueue({ concurrency: renders });
  }

  probe(bytes: Uint8Array): Promise<ImageInfo> {
    return this.inner.probe(bytes);
  }

  render(bytes: Uint8Array, options: RenderOptions): Promise<RenderResult> {
    // No timeout is set, so none can fire: `throwOnTimeout` only tells p-queue's types that the task's
    // result, never `void`, comes back.
    return this.queue.add(() => this.inner.render(bytes, options), { throwOnTimeout: true });
  }
}
