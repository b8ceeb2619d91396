import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../../ports/logger.js';
import { runWithLogContext } from '../pino/log-context.js';

/** A request id a client or proxy may hand us: short, and nothing that could forge or break a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_LOGGED_PATH = 256;

export interface RequestLoggingOptions {
  /**
   * Paths whose successful answers get no access line: probes and scrapes arrive every few seconds
   * and would drown the rest. Their failures (status ≥ 400) are still logged.
   */
  readonly quietPaths?: readonly string[];
}

/**
 * Mount first (outside the error middleware, so it sees final statuses). Gives each request an id —
 * the caller's `X-Request-Id` when sane, else a fresh UUID — echoed in the response, bound to every log
 * line written while the request runs, and logs one access line when the response is done: method,
 * matched route, path (never the query string), status, duration and declared response bytes. No
 * header is logged, so neither `Authorization` nor `X-Delete-Token` can leak from here.
 */
export function requestLogging(logger: Logger, options: RequestLoggingOptions = {}): Middleware {
  const quiet = new Set(options.quietPaths ?? ['/healthz', '/readyz', '/metrics']);
  return async (ctx, next) => {
    const offered = ctx.get('X-Request-Id');
    const requestId = SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    const started = performance.now();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    // 'close' comes once the response is fully sent or the client went away: the duration covers
    // streamed bodies (files, event streams), not only the handler.
    ctx.res.once('close', () => {
      const status = ctx.res.statusCode;
      if (quiet.has(ctx.path) && status < 400) return;
      const fields = { requestId, ...accessFields(ctx), status, durationMs: Math.round(performance.now() - started) };
      if (!ctx.res.writableFinished) logger.warn({ ...fields, aborted: true }, 'request aborted');
      else if (status >= 500) logger.error(fields, 'request failed');
      else logger.info(fields, 'request finished');
    });
    await runWithLogContext({ requestId }, next);
  };
}

function accessFields(ctx: Context): Record<string, unknown> {
  const length = Number(ctx.res.getHeader('Content-Length'));
  return { ...requestLogFields(ctx), bytes: Number.isFinite(length) ? length : null };
}

/**
 * What a log line may say of a request: its method, the route it matched (null when none) and its
 * path cut to a sane length; never its headers or its query string, which may carry anything.
 */
export function requestLogFields(ctx: Context): { method: string; route: string | null; path: string } {
  const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  const path = ctx.path.length > MAX_LOGGED_PATH ? `${ctx.path.slice(0, MAX_LOGGED_PATH)}…` : ctx.path;
  return { method: ctx.method, route: typeof route === 'string' ? route : null, path };
}
