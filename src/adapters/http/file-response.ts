import type { Context } from 'koa';
import parseRange from 'range-parser';
import type { StoredFile } from '../../application/get-original.js';
import { ImageNotFoundError } from '../../domain/errors.js';
import type { ByteRange } from '../../ports/storage-service.js';
import { HttpRequestError } from './http-errors.js';

/** Files are served as data, never as something a browser may run or re-interpret. */
const FILE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

/**
 * Sends a stored file with a strong ETag (its SHA-256): answers 304 to a matching If-None-Match
 * without reading a byte, and 206 to a single byte range (416 when it lies outside the file).
 */
export async function sendFile(ctx: Context, file: StoredFile, cacheControl: string): Promise<void> {
  ctx.set(FILE_HEADERS);
  ctx.set('Cache-Control', cacheControl);
  ctx.set('ETag', `"${file.sha256}"`);
  ctx.set('Accept-Ranges', 'bytes');
  ctx.type = file.contentType;
  if (noneMatch(ctx.get('If-None-Match'), file.sha256)) {
    ctx.status = 304;
    return;
  }
  const range = requestedRange(ctx, file);
  const body = await file.open(range);
  // A row without its object is an image being deleted right now.
  if (!body) throw new ImageNotFoundError(file.image.id);
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
  }
  ctx.length = range ? range.end - range.start + 1 : file.size;
  ctx.body = body;
}

/**
 * RFC 9110 If-None-Match: true when the client's copy is current. Koa's `ctx.fresh` is not used: it
 * follows cache semantics and ignores the header whenever the request says `Cache-Control: no-cache`,
 * which fetch() adds to every conditional request; an origin server must still answer 304.
 */
function noneMatch(header: string, sha256: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${sha256}"`);
}

/** One satisfiable byte range, or undefined for the whole file (no Range, a stale If-Range, or several ranges). */
function requestedRange(ctx: Context, file: StoredFile): ByteRange | undefined {
  const header = ctx.get('Range');
  const ifRange = ctx.get('If-Range');
  if (!header || (ifRange && ifRange !== `"${file.sha256}"`)) return undefined;
  const ranges = parseRange(file.size, header, { combine: true });
  if (ranges === -1) {
    ctx.set('Content-Range', `bytes */${file.size}`);
    throw new HttpRequestError('RANGE_NOT_SATISFIABLE', `The range ${header} lies outside the ${file.size}-byte file`);
  }
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  const [only] = ranges;
  return only ? { start: only.start, end: only.end } : undefined;
}
