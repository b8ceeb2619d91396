import { InvalidParameterError } from '../domain/errors.js';
import type { Image } from '../domain/image.js';
import { storageKeys } from '../domain/storage-keys.js';
import { requeue, type RequeueDependencies } from './retry-thumbnails.js';

const PAGE_SIZE = 100;

export interface RegenerateRequest {
  /**
   * Which images: `missing` (pending or processing, or ready without a rendition of a wanted size
   * in the current format and quality), `failed`, or `all`. Several may be combined; `all` covers the rest.
   */
  readonly select: readonly ('missing' | 'failed' | 'all')[];
  /**
   * The sizes that count as wanted when looking for `missing` renditions; all configured sizes when
   * absent. Each must be a configured size: this narrows the selection only, since a job always
   * renders every configured size (one decode) and a job rendering fewer would drop the others.
   */
  readonly sizes?: readonly number[];
  /** Count what would be queued and queue nothing. */
  readonly dryRun?: boolean;
}

/**
 * An operator's backfill: queues the thumbnail job of every selected image as background work, so
 * fresh uploads keep priority. A failed image goes back to pending with a fresh budget of attempts.
 * A queued image whose renditions turn out to match the current settings finishes without rendering.
 * Resolves with how many images were (or, dry, would be) queued; `onQueued` hears of each one.
 * Rejects with InvalidParameterError for an empty selection or a size that is not configured.
 */
export class RegenerateThumbnails {
  constructor(private readonly deps: RequeueDependencies) {}

  /** Stops between pages once `signal` aborts, resolving with how many were queued until then. */
  async execute(request: RegenerateRequest, onQueued: (image: Image) => void = () => undefined, signal?: AbortSignal): Promise<number> {
    const select = new Set(request.select);
    if (select.size === 0) throw new InvalidParameterError('selection', 'name at least one of missing, failed, all');
    const wanted = this.wantedSizes(request.sizes);
    const onlyFailed = select.size === 1 && select.has('failed');
    let queued = 0;
    let cursor: string | null = null;
    do {
      // Keyset pages stay exact while queued images change state (a failed one leaves the failed set).
      const page = await this.deps.images.list({ limit: PAGE_SIZE, cursor, ...(onlyFailed ? { thumbnailStatus: 'failed' } : {}) });
      for (const image of page.items) {
        if (!this.selects(select, image, wanted)) continue;
        const current = request.dryRun ? image : await requeue(image, this.deps, 'background');
        queued++;
        onQueued(current);
      }
      cursor = page.nextCursor;
    } while (cursor && !signal?.aborted);
    return queued;
  }

  private wantedSizes(sizes: readonly number[] | undefined): readonly number[] {
    const configured = this.deps.settings.sizes;
    if (sizes === undefined) return configured;
    const unknown = sizes.filter((size) => !configured.includes(size));
    if (sizes.length === 0 || unknown.length > 0) {
      const detail = sizes.length === 0 ? 'no size given' : `${unknown.join(', ')} is not configured`;
      throw new InvalidParameterError('sizes', `${detail}; the configured sizes are ${configured.join(', ')}`);
    }
    return sizes;
  }

  private selects(select: ReadonlySet<string>, image: Image, wanted: readonly number[]): boolean {
    const { status, renditions } = image.thumbnail;
    if (select.has('all')) return true;
    if (status === 'failed') return select.has('failed');
    if (!select.has('missing')) return false;
    if (status !== 'ready') return true;
    const { format, quality } = this.deps.settings;
    const have = new Set(renditions.map((r) => r.key));
    return wanted.some((size) => !have.has(storageKeys.rendition(image.props.checksum, size, format, quality)));
  }
}
