import { Router } from '@koa/router';
import type { Logger } from '../../ports/logger.js';
import { withTimeout } from '../time-limit.js';

/** One dependency the service needs to answer requests, checked by `/readyz`. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency answers; rejects otherwise. */
  check(): Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 2000;

/** `/healthz`: the process is alive. `/readyz`: every dependency answers (503 naming those that do not). */
export function healthRoutes(checks: readonly ReadinessCheck[], logger: Logger): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      checks.map(async (dependency) => {
        const { name } = dependency;
        try {
          await withTimeout(dependency.check(), CHECK_TIMEOUT_MS);
          return [name, 'ok'] as const;
        } catch (error) {
          // The reason goes to the log only: driver messages can name hosts and paths.
          logger.warn({ dependency: name, err: error }, 'readiness check failed');
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) };
  });
  return router;
}
