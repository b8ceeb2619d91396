import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { GetJobStats } from '../../application/get-job-stats.js';
import type { ListImages } from '../../application/list-images.js';
import type { RetryFailedThumbnails } from '../../application/retry-failed-thumbnails.js';
import type { RetryThumbnails } from '../../application/retry-thumbnails.js';
import type { Image } from '../../domain/image.js';
import { imageJson } from './image-json.js';
import { optionalInteger } from './query-parameters.js';

export interface JobUseCases {
  readonly jobStats: GetJobStats;
  readonly listImages: ListImages;
  readonly retry: RetryThumbnails;
  readonly retryFailed: RetryFailedThumbnails;
}

function failedJobJson(image: Image): Record<string, unknown> {
  const p = image.props;
  return {
    image_id: p.id,
    filename: p.filename,
    attempts: p.thumbnail.attempts,
    error: p.thumbnail.lastError,
    failed_at: p.updatedAt.toISOString(),
    retry_url: `/api/v1/images/${p.id}/thumbnails/retry`,
  };
}

/** Job visibility (public counts) and control (admin: failed list, retries). */
export function jobRoutes(useCases: JobUseCases, admin: Middleware): Router {
  const router = new Router({ prefix: '/api/v1' });

  router.get('/jobs', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await useCases.jobStats.execute();
  });

  router.get('/jobs/failed', admin, async (ctx) => {
    const limit = optionalInteger(ctx.query.limit, 'limit');
    const cursor = typeof ctx.query.cursor === 'string' ? ctx.query.cursor : null;
    const page = await useCases.listImages.execute({ ...(limit === undefined ? {} : { limit }), cursor, thumbnailStatus: 'failed' });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { items: page.items.map(failedJobJson), next_cursor: page.nextCursor };
  });

  router.post('/jobs/failed/retry', admin, async (ctx) => {
    ctx.status = 202;
    ctx.body = { queued: await useCases.retryFailed.execute() };
  });

  router.post('/images/:id/thumbnails/retry', admin, async (ctx) => {
    ctx.status = 202;
    ctx.body = imageJson(await useCases.retry.execute(ctx.params.id ?? ''));
  });

  return router;
}
