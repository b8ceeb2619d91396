import type { Middleware } from 'koa';

/** Sent on every response, whatever its type or status. */
const EVERY_RESPONSE: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** For API responses (JSON, events, empty bodies): nothing may load, nothing may frame them. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/**
 * Security headers, mounted outermost so that error responses get them too. A response that set its
 * own Content-Security-Policy keeps it (served files: `default-src 'none'; sandbox`). HTML responses
 * get no default policy: a page has to state what it loads, so an HTML route sets its own.
 */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    ctx.set(EVERY_RESPONSE);
    try {
      await next();
    } finally {
      if (!ctx.headerSent && !ctx.response.get('Content-Security-Policy') && !ctx.response.is('html')) {
        ctx.set('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
      }
    }
  };
}
