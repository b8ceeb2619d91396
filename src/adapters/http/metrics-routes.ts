import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from '@koa/router';
import { HttpRequestError } from './http-errors.js';

/** What `/metrics` needs from a metrics registry (a prom-client Registry is one). */
export interface MetricsSource {
  /** e.g. `text/plain; version=0.0.4; charset=utf-8` */
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * `GET /metrics` in the Prometheus text format. Open unless `token` is set; then it needs
 * `Authorization: Bearer <token>` (a read-only credential for the scraper, not the admin token).
 */
export function metricsRoutes(source: MetricsSource, options: { token?: string | undefined } = {}): Router {
  const expected = options.token ? digest(options.token) : null;
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    if (expected) {
      const presented = /^Bearer (.+)$/i.exec(ctx.get('Authorization'))?.[1];
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        ctx.set('WWW-Authenticate', 'Bearer realm="imagehost metrics"');
        throw new HttpRequestError('UNAUTHORIZED', 'This route needs Authorization: Bearer <METRICS_TOKEN>');
      }
    }
    const body = await source.metrics();
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Type', source.contentType);
    ctx.body = body;
  });
  return router;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
