import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { HttpRequestError } from './http-errors.js';

/**
 * Guards admin routes with `Authorization: Bearer <token>`. With no token configured the routes do
 * not exist (404), so an unconfigured deployment exposes no admin surface at all.
 */
export function adminAuth(adminToken: string | undefined): Middleware {
  const expected = adminToken ? digest(adminToken) : null;
  return async (ctx, next) => {
    if (!expected) throw new HttpRequestError('NOT_FOUND', `No route for ${ctx.method} ${ctx.path}`);
    const presented = /^Bearer (.+)$/i.exec(ctx.get('Authorization'))?.[1];
    // Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="imagehost admin"');
      throw new HttpRequestError('UNAUTHORIZED', 'This route needs Authorization: Bearer <ADMIN_TOKEN>');
    }
    await next();
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
