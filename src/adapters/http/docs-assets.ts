/** The files the API docs page loads, all served by the app itself under DOCS_ASSETS_PATH (no CDN). */

export const OPENAPI_JSON_PATH = '/api/openapi.json';
export const DOCS_PAGE_PATH = '/api/docs';
export const DOCS_ASSETS_PATH = '/api/docs/assets';

const CSS = 'text/css; charset=utf-8';
const JAVASCRIPT = 'text/javascript; charset=utf-8';

/** Files copied as they are from the swagger-ui-dist package, with their content types. */
export const SWAGGER_UI_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': CSS,
  'index.css': CSS,
  'swagger-ui-bundle.js': JAVASCRIPT,
  'swagger-ui-standalone-preset.js': JAVASCRIPT,
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** Our own start-up script (the page's CSP allows no inline script, so it is a file too). */
export const INITIALIZER_FILE = 'swagger-initializer.js';

export const DOCS_ASSET_TYPES: Readonly<Record<string, string>> = { ...SWAGGER_UI_FILES, [INITIALIZER_FILE]: JAVASCRIPT };
