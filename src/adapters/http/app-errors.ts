import type Koa from 'koa';
import type { Context } from 'koa';
import type { Logger } from '../../ports/logger.js';
import { errorCodeOf } from '../error-code.js';
import { requestLogFields } from './request-logging.js';

/** How a client that went away midway shows up: routine, not a failure of ours. */
const CLIENT_GONE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Logs what Koa emits as 'error' on the (silent) app: errors that errorMiddleware never sees, chiefly
 * a response body stream failing after the headers went out (a storage read breaking midway), which
 * can only cut the response. A client going away midway is logged at debug. Only the request's method,
 * route, path and id are logged: never its headers (X-Delete-Token, Authorization) nor its query string.
 */
export function logAppErrors(app: Koa, logger: Logger): void {
  // Koa may emit one error twice: from the body's pipeline and again from the socket it destroyed.
  const logged = new WeakSet<object>();
  app.on('error', (error: unknown, ctx?: Context) => {
    if (error instanceof Object) {
      if (logged.has(error)) return;
      logged.add(error);
    }
    const fields = { code: errorCodeOf(error), ...(ctx ? requestFields(ctx) : {}) };
    if (isClientGone(error)) {
      logger.debug?.({ ...fields, reason: error instanceof Error ? error.message : String(error) }, 'response aborted by the client');
    } else if ((error as { headerSent?: unknown }).headerSent === true) {
      logger.error({ ...fields, err: error }, 'response failed after its headers were sent');
    } else {
      logger.error({ ...fields, err: error }, 'unhandled error outside the error middleware');
    }
  });
}

function isClientGone(error: unknown): boolean {
  const code = errorCodeOf(error);
  return (code !== undefined && CLIENT_GONE_CODES.has(code)) || (error instanceof Error && error.message === 'aborted');
}

function requestFields(ctx: Context): Record<string, unknown> {
  const requestId: unknown = ctx.state.requestId;
  return { ...(typeof requestId === 'string' ? { requestId } : {}), ...requestLogFields(ctx) };
}
