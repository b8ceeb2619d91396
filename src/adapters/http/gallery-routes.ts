import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from '@koa/router';
import { IMMUTABLE, REVALIDATE, sendAsset, staticAsset, type StaticAsset } from './static-asset.js';

/** Where the page's static files live, relative to the package root (tsc copies no .html/.css/.js). */
const GALLERY_FOLDER = path.join('src', 'adapters', 'http', 'gallery');

/** The page's own files served under `/gallery/` (beside `index.html`, served at `/`): ES modules and the stylesheet. */
export const GALLERY_FILES = ['gallery.js', 'api.js', 'status.js', 'tokens.js', 'uploads.js', 'gallery.css'] as const;

/** Everything local: the page talks only to this origin and runs only its own files. */
export const GALLERY_CSP =
  "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};


export interface GalleryRoutesOptions {
  /** The folder holding index.html and the page's modules and stylesheet. Default: found above this module. */
  readonly folder?: string;
}

/**
 * The browser gallery: `GET /` (the page, revalidated on every load) and `GET /gallery/*` (its ES
 * modules, its stylesheet and the ThumbHash decoder as `/gallery/vendor/thumbhash.js`). The page's
 * asset URLs and the modules' relative imports are rewritten to carry `?v=<content hash>`; with the
 * current version an asset is cached for good, without it it revalidates by ETag.
 * The files are read once, when the routes are built: a missing folder fails at start-up, by name.
 */
export function galleryRoutes(options: GalleryRoutesOptions = {}): Router {
  const folder = options.folder ?? findGalleryFolder(path.dirname(fileURLToPath(import.meta.url)));
  const sources = new Map<string, Buffer>(GALLERY_FILES.map((name) => [`/gallery/${name}`, readFileSync(path.join(folder, name))]));
  sources.set('/gallery/vendor/thumbhash.js', readFileSync(createRequire(import.meta.url).resolve('thumbhash')));

  const assets = new Map<string, StaticAsset>();
  const assetAt = (urlPath: string, importers: readonly string[] = []): StaticAsset => {
    const done = assets.get(urlPath);
    if (done) return done;
    const source = sources.get(urlPath);
    if (!source || importers.includes(urlPath)) throw new Error(`gallery: ${importers.at(-1) ?? 'index.html'} needs ${urlPath}, which is missing or circular`);
    const type = TYPES[path.extname(urlPath)] ?? 'application/octet-stream';
    const body = type.startsWith('text/javascript')
      ? versionReferences(source, /(\bfrom\s*|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+\.js)'/g, urlPath, (target) => assetAt(target, [...importers, urlPath]))
      : source;
    const asset = staticAsset(body, type);
    assets.set(urlPath, asset);
    return asset;
  };
  for (const urlPath of sources.keys()) assetAt(urlPath);
  const page = staticAsset(
    versionReferences(readFileSync(path.join(folder, 'index.html')), /(\b(?:href|src)=)"(\/gallery\/[^"?]+)"/g, '/', (target) => assetAt(target)),
    TYPES['.html']!,
  );

  const router = new Router();
  router.get('/', (ctx) => {
    ctx.set('Content-Security-Policy', GALLERY_CSP);
    sendAsset(ctx, page, 'no-cache');
  });
  for (const [urlPath, asset] of assets) {
    router.get(urlPath, (ctx) => sendAsset(ctx, asset, ctx.query.v === asset.version ? IMMUTABLE : REVALIDATE));
  }
  return router;
}

/** Rewrites each reference matched by `pattern` (group 1: what precedes it, group 2: the URL) to `URL?v=<version>`. */
function versionReferences(source: Buffer, pattern: RegExp, from: string, resolve: (urlPath: string) => StaticAsset): Buffer {
  const text = source.toString('utf8').replace(pattern, (whole, prefix: string, url: string) => {
    const quote = whole.charAt(whole.length - 1);
    const target = url.startsWith('/') ? url : path.posix.join(path.posix.dirname(from), url);
    return `${prefix}${quote}${url}?v=${resolve(target).version}${quote}`;
  });
  return Buffer.from(text, 'utf8');
}

/**
 * The gallery folder, looked up from `start` towards the root: the same source folder serves this
 * module from `src/` (vitest, tsx) and from `dist/src/` (npm start), whose parents differ in depth.
 */
export function findGalleryFolder(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, GALLERY_FOLDER);
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`gallery files not found: no ${GALLERY_FOLDER}/index.html in ${start} or any folder above it (ship that folder next to dist/)`);
    }
  }
}
