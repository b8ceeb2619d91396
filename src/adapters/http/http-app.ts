import type { Router } from '@koa/router';
import Koa, { type Middleware } from 'koa';
import { adminAuth } from './admin-auth.js';
import { logAppErrors } from './app-errors.js';
import type { Logger } from '../../ports/logger.js';
import { healthRoutes, type ReadinessCheck } from './health-routes.js';
import { errorMiddleware } from './http-errors.js';
import { imageRoutes, type ImageUseCases } from './image-routes.js';
import { jobRoutes, type JobUseCases } from './job-routes.js';
import { securityHeaders } from './security-headers.js';
import { eventRoutes } from './event-routes.js';
import { galleryRoutes } from './gallery-routes.js';
import { docsRoutes } from './docs-routes.js';
import type { ImageEvents } from '../../ports/image-events.js';

export interface HttpAppOptions {
  readonly useCases: ImageUseCases & JobUseCases;
  /** Enables the admin routes; they answer 404 when unset. */
  readonly adminToken: string | undefined;
  /** Extra admin-only middleware mounted under its own path (e.g. the queue dashboard), behind the admin token. */
  readonly adminMounts?: readonly { readonly path: string; readonly middleware: Middleware }[];
  readonly logger: Logger;
  readonly maxUploadBytes: number;
  readonly readinessChecks: readonly ReadinessCheck[];
  /** Live events, streamed as Server-Sent Events. */
  readonly events: ImageEvents;
  /**
   * Mounted first, outside the security headers and the error middleware, so they see every request
   * and its final status: request logging (request id, access line), upload metrics.
   */
  readonly outerMiddleware?: readonly Middleware[];
  /** Extra routers next to /healthz and /readyz, inside the error middleware (e.g. GET /metrics). */
  readonly extraRouters?: readonly Router[];
}

/** What a worker's health app can mount besides /healthz and /readyz (see HttpAppOptions). */
export type HealthAppMounts = Pick<HttpAppOptions, 'outerMiddleware' | 'extraRouters'>;

/** The Koa application: the same factory serves `npm start` and the HTTP tests. */
export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged once: by errorMiddleware, or (those it never sees) by logAppErrors
  logAppErrors(app, options.logger);
  for (const middleware of options.outerMiddleware ?? []) app.use(middleware);
  app.use(securityHeaders());
  app.use(errorMiddleware(options.logger));
  app.use(healthRoutes(options.readinessChecks, options.logger).routes());
  for (const router of options.extraRouters ?? []) app.use(router.routes());
  const admin = adminAuth(options.adminToken);
  for (const mount of options.adminMounts ?? []) {
    app.use(async (ctx, next) => {
      const inside = ctx.path === mount.path || ctx.path.startsWith(`${mount.path}/`);
      if (!inside) {
        await next();
        return;
      }
      await admin(ctx, async () => {
        await mount.middleware(ctx, next);
      });
    });
  }
  const { useCases } = options;
  const live = eventRoutes({ events: options.events, getImage: (id) => useCases.getImage.execute(id) });
  for (const router of [galleryRoutes(), docsRoutes(), live, imageRoutes(useCases, options.maxUploadBytes), jobRoutes(useCases, admin)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}

/** Only `/healthz` and `/readyz`: what a worker process serves so orchestrators can probe it. */
export function createHealthApp(readinessChecks: readonly ReadinessCheck[], logger: Logger, mounts: HealthAppMounts = {}): Koa {
  const app = new Koa();
  app.silent = true;
  logAppErrors(app, logger);
  for (const middleware of mounts.outerMiddleware ?? []) app.use(middleware);
  app.use(securityHeaders());
  app.use(errorMiddleware(logger));
  app.use(healthRoutes(readinessChecks, logger).routes());
  for (const router of mounts.extraRouters ?? []) app.use(router.routes());
  return app;
}
