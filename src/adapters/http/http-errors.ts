import type { Middleware } from 'koa';
import { DomainError, ThumbnailNotReadyError } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';

/** The one table from error codes to HTTP statuses. Codes are stable API; messages are for people. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  IMAGE_NOT_FOUND: 404,
  THUMBNAIL_NOT_READY: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  EMPTY_FILE: 400,
  FILE_REQUIRED: 400,
  INVALID_PARAMETER: 400,
  MALFORMED_MULTIPART: 400,
  TOO_MANY_FILES: 400,
  INVALID_DELETE_TOKEN: 403,
  UNAUTHORIZED: 401,
  IDEMPOTENCY_KEY_IN_USE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  FILE_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_IMAGE: 422,
  IMAGE_TOO_LARGE: 422,
  TOO_MANY_ATTEMPTS: 429,
  STORAGE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  LIMITER_UNAVAILABLE: 503,
  QUEUE_UNAVAILABLE: 503,
};

/**
 * Outages of a dependency: the client is told which, and when to come back, never the driver's words
 * (hosts, keys, paths); the operator finds those in the log line.
 */
const UNAVAILABLE_MESSAGES: Readonly<Record<string, string>> = {
  STORAGE_UNAVAILABLE: 'The object store is unavailable; try again shortly',
  DATABASE_UNAVAILABLE: 'The database is unavailable; try again shortly',
  LIMITER_UNAVAILABLE: 'Deletes are paused while the attempt limiter is unavailable; try again shortly',
  QUEUE_UNAVAILABLE: 'The job queue is unavailable; try again shortly',
};
const UNAVAILABLE_RETRY_AFTER_SECONDS = '5';

/** An error raised by the HTTP adapter itself (request shape), with a code from the table above. */
export class HttpRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpRequestError';
  }
}

/** Multer/busboy failures, by their own codes, mapped to ours. */
const MULTIPART_CODES: Readonly<Record<string, [string, string]>> = {
  LIMIT_FILE_SIZE: ['FILE_TOO_LARGE', 'The file is larger than the upload limit'],
  LIMIT_FILE_COUNT: ['TOO_MANY_FILES', 'Send exactly one file, in the field "file"'],
  LIMIT_UNEXPECTED_FILE: ['TOO_MANY_FILES', 'Send exactly one file, in the field "file"'],
  LIMIT_PART_COUNT: ['MALFORMED_MULTIPART', 'The form has too many parts'],
  LIMIT_FIELD_KEY: ['MALFORMED_MULTIPART', 'A form field name is too long'],
  LIMIT_FIELD_VALUE: ['MALFORMED_MULTIPART', 'A form field value is too long'],
  LIMIT_FIELD_COUNT: ['MALFORMED_MULTIPART', 'The form has too many fields'],
};

function classify(error: unknown): { code: string; message: string } | null {
  if (error instanceof DomainError || error instanceof HttpRequestError) return { code: error.code, message: error.message };
  const named = error as { name?: unknown; code?: unknown };
  if (named.name === 'MulterError' && typeof named.code === 'string') {
    const [code, message] = MULTIPART_CODES[named.code] ?? ['MALFORMED_MULTIPART', 'The multipart body is malformed'];
    return { code, message };
  }
  return null;
}

/** Renders every error as `{"error":{"code","message"}}`; unknown errors as a generic 500, logged. */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.body === undefined && ctx.status === 404) {
        throw new HttpRequestError('NOT_FOUND', `No route for ${ctx.method} ${ctx.path}`);
      }
      if (ctx.body === undefined && ctx.status === 405) {
        throw new HttpRequestError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (error) {
      const known = classify(error);
      const outage = known && UNAVAILABLE_MESSAGES[known.code];
      if (known && outage) {
        logger.warn({ err: error, method: ctx.method, path: ctx.path, code: known.code }, 'dependency unavailable');
        ctx.status = 503;
        ctx.set('Retry-After', UNAVAILABLE_RETRY_AFTER_SECONDS);
        ctx.body = { error: { code: known.code, message: outage } };
        return;
      }
      if (known && STATUS_BY_CODE[known.code]) {
        ctx.status = STATUS_BY_CODE[known.code] ?? 400;
        ctx.body = { error: known };
        if (error instanceof ThumbnailNotReadyError) {
          ctx.set('Cache-Control', 'no-store');
          if (error.status !== 'failed') ctx.set('Retry-After', '2');
        }
        return;
      }
      logger.error({ err: error, method: ctx.method, path: ctx.path }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side' } };
    }
  };
}
