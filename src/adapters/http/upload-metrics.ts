import { performance } from 'node:perf_hooks';
import type { Context, Middleware } from 'koa';
import { errorCodeOf } from '../error-code.js';

/** Receives each upload's outcome: `created`, `replayed` or the error code answered, and its latency. */
export type UploadRecorder = (result: string, seconds: number) => void;

const UPLOAD_PATH = /^\/api\/v1\/images\/upload\/?$/;

/**
 * Times `POST /api/v1/images/upload` and reports its result. Mount it outside the error middleware,
 * so the status and error body it reads are the ones the client gets; an error that still escapes is
 * reported by its code (or INTERNAL_ERROR) and rethrown.
 */
export function uploadMetrics(record: UploadRecorder): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !UPLOAD_PATH.test(ctx.path)) {
      await next();
      return;
    }
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      await next();
    } catch (error) {
      record(errorCodeOf(error) ?? 'INTERNAL_ERROR', seconds());
      throw error;
    }
    record(uploadResult(ctx), seconds());
  };
}

function uploadResult(ctx: Context): string {
  if (ctx.status === 201) return ctx.response.get('Idempotent-Replayed') === 'true' ? 'replayed' : 'created';
  const code = (ctx.body as { error?: { code?: unknown } } | null | undefined)?.error?.code;
  return typeof code === 'string' ? code : `HTTP_${ctx.status}`;
}
