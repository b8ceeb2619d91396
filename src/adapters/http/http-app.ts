import Koa from 'koa';
import type { Logger } from '../../ports/logger.js';
import { healthRoutes, type ReadinessCheck } from './health-routes.js';
import { errorMiddleware } from './http-errors.js';
import { imageRoutes, type ImageUseCases } from './image-routes.js';

export interface HttpAppOptions {
  readonly useCases: ImageUseCases;
  readonly logger: Logger;
  readonly maxUploadBytes: number;
  readonly readinessChecks: readonly ReadinessCheck[];
}

/** The Koa application: the same factory serves `npm start` and the HTTP tests. */
export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged once, by errorMiddleware
  app.use(errorMiddleware(options.logger));
  app.use(async (ctx, next) => {
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Content-Type-Options', 'nosniff');
    await next();
  });
  app.use(healthRoutes(options.readinessChecks, options.logger).routes());
  const images = imageRoutes(options.useCases, options.maxUploadBytes);
  app.use(images.routes());
  app.use(images.allowedMethods());
  return app;
}
