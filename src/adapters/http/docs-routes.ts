import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from '@koa/router';
import { DOCS_ASSETS_PATH, DOCS_PAGE_PATH, INITIALIZER_FILE, OPENAPI_JSON_PATH, SWAGGER_UI_FILES } from './docs-assets.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { IMMUTABLE, REVALIDATE, sendAsset, staticAsset, type StaticAsset } from './static-asset.js';

/**
 * The docs page loads scripts and styles from this origin only and talks only to it. Swagger UI sets
 * inline styles (hence 'unsafe-inline' for styles, never for scripts), draws its icons from data: URLs
 * and shows image responses of "Try it out" from blob: URLs.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface DocsFiles {
  readonly assets: ReadonlyMap<string, StaticAsset>;
  readonly page: Buffer;
}

/**
 * `GET /api/openapi.json` (the OpenAPI document), `GET /api/docs` (Swagger UI) and
 * `GET /api/docs/assets/:file` (the page's files, from the swagger-ui-dist package: no CDN). Asset
 * URLs in the page carry `?v=<content hash>` and are then cached for good; without it they revalidate.
 * The package folder is found when the routes are built (a missing package fails at start-up); its
 * files (~2 MB) are read on the first docs request only.
 */
export function docsRoutes(): Router {
  const folder = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const document = staticAsset(Buffer.from(JSON.stringify(OPENAPI_DOCUMENT)), 'application/json; charset=utf-8');
  let files: DocsFiles | undefined;
  const load = () => (files ??= loadFiles(folder, document.version));

  const router = new Router();
  router.get(OPENAPI_JSON_PATH, (ctx) => sendAsset(ctx, document, REVALIDATE));
  router.get(DOCS_PAGE_PATH, (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = load().page;
  });
  router.get(`${DOCS_ASSETS_PATH}/:file`, (ctx) => {
    const file = load().assets.get(ctx.params.file ?? '');
    // Unknown files fall through to the usual 404 NOT_FOUND.
    if (file) sendAsset(ctx, file, ctx.query.v === file.version ? IMMUTABLE : REVALIDATE);
  });
  return router;
}

function loadFiles(folder: string, documentVersion: string): DocsFiles {
  const assets = new Map<string, StaticAsset>();
  for (const [name, type] of Object.entries(SWAGGER_UI_FILES)) {
    // Source maps are not served: drop the comments that would make browser tools ask for them.
    const raw = readFileSync(path.join(folder, name));
    const body = type.startsWith('image/') ? raw : Buffer.from(raw.toString('utf8').replace(/\n?(\/\/# sourceMappingURL=\S+|\/\*# sourceMappingURL=[^*]+\*\/)\s*$/, '\n'));
    assets.set(name, staticAsset(body, type));
  }
  assets.set(INITIALIZER_FILE, staticAsset(Buffer.from(initializer(`${OPENAPI_JSON_PATH}?v=${documentVersion}`)), 'text/javascript; charset=utf-8'));
  const url = (name: string) => `${DOCS_ASSETS_PATH}/${name}?v=${assets.get(name)?.version ?? ''}`;
  const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>imagehost API</title>
  <link rel="stylesheet" href="${url('swagger-ui.css')}">
  <link rel="stylesheet" href="${url('index.css')}">
  <link rel="icon" type="image/png" href="${url('favicon-32x32.png')}" sizes="32x32">
  <link rel="icon" type="image/png" href="${url('favicon-16x16.png')}" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${url('swagger-ui-bundle.js')}"></script>
  <script src="${url('swagger-ui-standalone-preset.js')}"></script>
  <script src="${url(INITIALIZER_FILE)}"></script>
</body>
</html>
`;
  return { assets, page: Buffer.from(page) };
}

/** Starts Swagger UI on the document. validatorUrl: null keeps it from calling validator.swagger.io. */
function initializer(documentUrl: string): string {
  return `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(documentUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
});
`;
}
