import { performance } from 'node:perf_hooks';
import type { ImageInfo, ImageResizer, RenderOptions, RenderResult } from '../../ports/image-resizer.js';
import type { ImagehostMetrics } from './metrics.js';

/** An ImageResizer that times every successful render (failures are counted by the job metrics). */
export class MeasuredImageResizer implements ImageResizer {
  constructor(
    private readonly inner: ImageResizer,
    private readonly metrics: Pick<ImagehostMetrics, 'observeRender'>,
  ) {}

  probe(bytes: Uint8Array): Promise<ImageInfo> {
    return this.inner.probe(bytes);
  }

  async render(bytes: Uint8Array, options: RenderOptions): Promise<RenderResult> {
    const started = performance.now();
    const result = await this.inner.render(bytes, options);
    this.metrics.observeRender(
      result.renditions.map((r) => r.size),
      (performance.now() - started) / 1000,
    );
    return result;
  }
}
