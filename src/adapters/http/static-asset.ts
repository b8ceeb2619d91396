import { createHash } from 'node:crypto';
import type { Context } from 'koa';

/** For a URL whose content never changes (content-addressed, or carrying its `?v=` version). */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Cached, but checked with the server (a 304 costs no body) before every use. */
export const REVALIDATE = 'public, no-cache';

/** A file served from memory: the docs page's and the gallery's. */
export interface StaticAsset {
  readonly body: Buffer;
  readonly type: string;
  /** A prefix of the SHA-256 of the body: the `?v=` that makes the asset's URL content-addressed. */
  readonly version: string;
}

export function staticAsset(body: Buffer, type: string): StaticAsset {
  return { body, type, version: createHash('sha256').update(body).digest('hex').slice(0, 16) };
}

/** Sends `asset` with its version as a strong ETag, or 304 when If-None-Match names it. */
export function sendAsset(ctx: Context, asset: StaticAsset, cacheControl: string): void {
  const etag = `"${asset.version}"`;
  ctx.status = 200;
  ctx.set('Cache-Control', cacheControl);
  ctx.set('ETag', etag);
  ctx.type = asset.type;
  // Compared by hand, as sendFile does: ctx.fresh ignores If-None-Match when the request says no-cache.
  if (ctx.get('If-None-Match').split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
    ctx.status = 304;
    return;
  }
  ctx.body = asset.body;
}
