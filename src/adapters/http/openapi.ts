import { DOCS_ASSET_TYPES, DOCS_ASSETS_PATH, DOCS_PAGE_PATH, OPENAPI_JSON_PATH } from './docs-assets.js';
import { COMMON_HEADERS, COMMON_RESPONSES, IMAGE_PARAMETERS, IMAGE_PATHS, pageParameters } from './openapi-image-paths.js';
import { adminOperation, errorResponse, header, json, operation, parameterRef, responseRef, schema, staticFile, text } from './openapi-parts.js';
import { COMPONENT_SCHEMAS } from './openapi-schemas.js';
import { QUEUE_DASHBOARD_PATH } from '../bullmq/dashboard-path.js';
import type { OpenApiDocument, PathItem } from './openapi-types.js';

const assetMediaTypes = [...new Set(Object.values(DOCS_ASSET_TYPES).map((type) => type.split(';')[0] ?? type))];
const noStore = { 'Cache-Control': header('`no-store`', true) };

/** Background jobs: public counts, and the admin's failed list and retries. */
const JOB_PATHS: Readonly<Record<string, PathItem>> = {
  '/api/v1/jobs': {
    get: operation({
      operationId: 'jobStats',
      summary: 'Background job counts by state',
      tags: ['jobs'],
      responses: { '200': { description: 'Counts (either queue)', headers: noStore, content: json(schema('JobStats')) } },
    }),
  },
  '/api/v1/jobs/failed': {
    get: adminOperation({
      operationId: 'listFailedJobs',
      summary: 'Images whose thumbnails failed (admin)',
      tags: ['admin'],
      parameters: pageParameters,
      responses: {
        '200': { description: 'A page, newest first', headers: noStore, content: json(schema('FailedJobPage')) },
        '400': errorResponse('A bad limit or cursor', ['INVALID_PARAMETER']),
      },
    }),
  },
  '/api/v1/jobs/failed/retry': {
    post: adminOperation({
      operationId: 'retryFailedJobs',
      summary: 'Retry every failed image (admin)',
      description: 'Queued as background work: fresh uploads keep priority.',
      tags: ['admin'],
      responses: { '202': { description: 'Queued', content: json(schema('RetryQueued')) } },
    }),
  },
  '/api/v1/images/{id}/thumbnails/retry': {
    post: adminOperation({
      operationId: 'retryThumbnails',
      summary: 'Retry one image’s thumbnails (admin)',
      description: 'A failed image goes back to pending with a fresh budget of attempts; a pending one is queued; a ready one is left as it is.',
      tags: ['admin'],
      parameters: [parameterRef('ImageId')],
      responses: {
        '202': { description: 'The image as it is now', content: json(schema('Image')) },
        '404': errorResponse('No such image, or ADMIN_TOKEN is unset (the route does not exist)', ['IMAGE_NOT_FOUND', 'NOT_FOUND']),
      },
    }),
  },
};

/** Probes, metrics, the docs themselves, the admin dashboard and the browser gallery. */
const SERVICE_PATHS: Readonly<Record<string, PathItem>> = {
  '/healthz': {
    get: operation({
      operationId: 'liveness',
      summary: 'Liveness: the process is alive',
      tags: ['operations'],
      responses: { '200': { description: 'Alive', headers: noStore, content: json(schema('Liveness')) } },
    }),
  },
  '/readyz': {
    get: operation({
      operationId: 'readiness',
      summary: 'Readiness: the database, the object store and the queue all answer',
      tags: ['operations'],
      responses: {
        '200': { description: 'Ready', headers: noStore, content: json({ allOf: [schema('Readiness')], type: 'object', properties: { status: { const: 'ready' } } }) },
        '503': {
          description: 'A dependency does not answer (named in `checks`)',
          headers: noStore,
          content: json({ allOf: [schema('Readiness')], type: 'object', properties: { status: { const: 'unavailable' } } }),
        },
      },
    }),
  },
  '/metrics': {
    get: operation({
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      description: 'Open unless METRICS_TOKEN is set; then it needs `Authorization: Bearer <METRICS_TOKEN>`.',
      tags: ['operations'],
      security: [{}, { metricsBearer: [] }],
      responses: {
        '200': { description: 'The Prometheus text exposition format', headers: noStore, content: text('text/plain', 'Prometheus text format 0.0.4') },
        '401': errorResponse('METRICS_TOKEN is set and the bearer token is missing or wrong', ['UNAUTHORIZED'], {
          'WWW-Authenticate': header('`Bearer realm="imagehost metrics"`', true),
        }),
      },
    }),
  },
  [OPENAPI_JSON_PATH]: {
    get: staticFile({ operationId: 'openapiDocument', summary: 'This OpenAPI 3.1 document', tags: ['docs'], mediaTypes: ['application/json'] }),
  },
  [DOCS_PAGE_PATH]: {
    get: operation({
      operationId: 'docsPage',
      summary: 'Interactive API docs (Swagger UI, served locally)',
      tags: ['docs'],
      responses: {
        '200': {
          description: 'The page; its Content-Security-Policy allows scripts and styles from this origin only',
          headers: { 'Content-Security-Policy': header('Own origin only; inline styles allowed (Swagger UI sets them)', true) },
          content: text('text/html', 'The docs page'),
        },
      },
    }),
  },
  [`${DOCS_ASSETS_PATH}/{file}`]: {
    get: staticFile({
      operationId: 'docsAsset',
      summary: 'A file of the docs page',
      tags: ['docs'],
      mediaTypes: assetMediaTypes,
      parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', enum: Object.keys(DOCS_ASSET_TYPES) } }],
      extraResponses: { '404': responseRef('NotFound') },
    }),
  },
  [QUEUE_DASHBOARD_PATH]: {
    get: adminOperation({
      operationId: 'queueDashboard',
      summary: 'The bull-board job dashboard (admin, QUEUE=bullmq only)',
      description: `Its scripts, styles and JSON API live under ${QUEUE_DASHBOARD_PATH}/…, behind the same token. Without QUEUE=bullmq the path is 404.`,
      tags: ['admin'],
      responses: { '200': { description: 'The dashboard page', content: text('text/html', 'bull-board') } },
    }),
  },
  '/': { get: staticFile({ operationId: 'galleryPage', summary: 'The browser gallery', tags: ['gallery'], mediaTypes: ['text/html'] }) },
  '/gallery/{file}': {
    get: staticFile({
      operationId: 'galleryFile',
      summary: 'A script module or the stylesheet of the gallery',
      tags: ['gallery'],
      mediaTypes: ['text/javascript', 'text/css'],
      parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9-]+\\.(js|css)$' } }],
      extraResponses: { '404': responseRef('NotFound') },
    }),
  },
  '/gallery/vendor/thumbhash.js': {
    get: staticFile({ operationId: 'galleryThumbhash', summary: 'The ThumbHash decoder the gallery imports', tags: ['gallery'], mediaTypes: ['text/javascript'] }),
  },
};

/** The OpenAPI 3.1 document of every route the app serves, at `GET /api/openapi.json`. */
export const OPENAPI_DOCUMENT: OpenApiDocument = {
  openapi: '3.1.1',
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  info: {
    title: 'imagehost',
    version: '1',
    license: { name: 'MIT', identifier: 'MIT' },
    description:
      'Upload an image and get its id and a delete token back at once; thumbnails are made in the background. JSON in snake_case. ' +
      'Every error is `{"error": {"code": "…", "message": "…"}}` with a stable code. Admin routes need `Authorization: Bearer $ADMIN_TOKEN` ' +
      'and do not exist (404) when ADMIN_TOKEN is unset. A GET route also answers HEAD, and OPTIONS on a known path answers 200 ' +
      'with `Allow`; a known path with another method answers 405 `METHOD_NOT_ALLOWED`, an unknown path 404 `NOT_FOUND`.',
  },
  tags: [
    { name: 'images', description: 'Upload, read, list and delete images' },
    { name: 'events', description: 'Live updates as Server-Sent Events' },
    { name: 'jobs', description: 'Background thumbnail work' },
    { name: 'admin', description: 'Needs the admin token' },
    { name: 'operations', description: 'Probes and metrics' },
    { name: 'docs', description: 'This document and its interactive page' },
    { name: 'gallery', description: 'The browser gallery' },
  ],
  paths: { ...IMAGE_PATHS, ...JOB_PATHS, ...SERVICE_PATHS },
  components: {
    schemas: COMPONENT_SCHEMAS,
    responses: COMMON_RESPONSES,
    parameters: IMAGE_PARAMETERS,
    headers: COMMON_HEADERS,
    securitySchemes: {
      adminBearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
      metricsBearer: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN (only when set)' },
    },
  },
};
