import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../application/list-images.js';
import {
  bytes,
  errorResponse,
  header,
  headerParameter,
  headerRef,
  json,
  operation,
  parameterRef,
  queryParameter,
  schema,
} from './openapi-parts.js';
import { ORIGINAL_MEDIA_TYPES, RENDITION_MEDIA_TYPES } from './openapi-schemas.js';
import type { Header, PathItem, Reference, Response } from './openapi-types.js';

/** The image API (`/api/v1/images…`) and its live events, as OpenAPI path items. */

const id = parameterRef('ImageId');
/** `limit` and `cursor`, for every paged list. */
export const pageParameters = [parameterRef('Limit'), parameterRef('Cursor')];

const conditional = [
  headerParameter('If-None-Match', 'An ETag the client holds: 304 when it is current'),
  headerParameter('Range', 'One byte range (`bytes=start-end`, `bytes=start-`, `bytes=-suffix`); several ranges get the whole file'),
  headerParameter('If-Range', 'The ETag the range is for: a stale one gets the whole file (200)'),
];

/** The responses of a stored file (original or rendition), as file-response.ts's sendFile answers. */
function fileResponses(mediaTypes: readonly string[], extraHeaders: Readonly<Record<string, Header | Reference>> = {}): Record<string, Response | Reference> {
  const common = {
    ETag: headerRef('ETag'),
    'Cache-Control': header('`public, max-age=31536000, immutable` for an original or a versioned rendition URL, else `public, no-cache`', true),
    'Accept-Ranges': header('`bytes`', true),
    'X-Content-Type-Options': header('`nosniff`', true),
    'Content-Security-Policy': header("`default-src 'none'; sandbox`: the bytes are data, never a document", true),
    ...extraHeaders,
  };
  return {
    '200': { description: 'The bytes, typed by their sniffed format', headers: common, content: bytes(mediaTypes) },
    '206': {
      description: 'One byte range',
      headers: { ...common, 'Content-Range': header('`bytes start-end/size`', true) },
      content: bytes(mediaTypes),
    },
    '304': { description: 'Not modified: If-None-Match matched the ETag', headers: { ETag: headerRef('ETag') } },
    '416': errorResponse('The range lies outside the file', ['RANGE_NOT_SATISFIABLE'], { 'Content-Range': header('`bytes */size`', true) }),
  };
}

const imageNotFound = errorResponse('No such image (unknown or malformed id)', ['IMAGE_NOT_FOUND']);

export const IMAGE_PATHS: Readonly<Record<string, PathItem>> = {
  '/api/v1/images/upload': {
    post: operation({
      operationId: 'uploadImage',
      summary: 'Upload an image',
      description:
        'One file in the multipart field `file`. The format is sniffed from the bytes (JPEG, PNG, WebP, GIF, AVIF, TIFF); the ' +
        'client’s content type and extension are ignored. Thumbnails are made in the background. With an `Idempotency-Key`, ' +
        'a retry gets the first answer back (`Idempotent-Replayed: true`) instead of a second image.',
      tags: ['images'],
      parameters: [
        headerParameter('Idempotency-Key', 'Any 8 to 255 visible ASCII characters; a UUID is ideal', { type: 'string', pattern: '^[\\x21-\\x7e]{8,255}$' }),
      ],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              additionalProperties: false,
              required: ['file'],
              properties: { file: { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', description: 'The image (at most MAX_UPLOAD_BYTES)' } },
            },
            encoding: { file: { contentType: 'application/octet-stream' } },
          },
        },
      },
      responses: {
        '201': {
          description: 'Stored: the metadata and the delete token (returned only here); thumbnails pending',
          headers: {
            Location: header('The metadata URL', true),
            'Cache-Control': header('`no-store`: the body holds the delete token', true),
            'Idempotent-Replayed': header('`true` when this answer replays an earlier upload with the same Idempotency-Key'),
          },
          content: json(schema('UploadedImage')),
        },
        '400': errorResponse('No usable file in the request, or a malformed Idempotency-Key', [
          'EMPTY_FILE',
          'FILE_REQUIRED',
          'TOO_MANY_FILES',
          'MALFORMED_MULTIPART',
          'INVALID_PARAMETER',
        ]),
        '404': errorResponse('The upload this Idempotency-Key replays has been deleted since', ['IMAGE_NOT_FOUND']),
        '409': errorResponse('A request with this Idempotency-Key is still running; retry shortly', ['IDEMPOTENCY_KEY_IN_USE']),
        '413': errorResponse('Larger than MAX_UPLOAD_BYTES (cut off while streaming; the connection is closed)', ['FILE_TOO_LARGE']),
        '415': errorResponse('Not an accepted image format (SVG included)', ['UNSUPPORTED_MEDIA_TYPE']),
        '422': errorResponse('Unreadable image, more pixels than MAX_PIXELS, or an Idempotency-Key used for other bytes', [
          'INVALID_IMAGE',
          'IMAGE_TOO_LARGE',
          'IDEMPOTENCY_KEY_REUSED',
        ]),
      },
    }),
  },
  '/api/v1/images': {
    get: operation({
      operationId: 'listImages',
      summary: 'List images, newest first',
      tags: ['images'],
      parameters: pageParameters,
      responses: {
        '200': { description: 'A page of images', content: json(schema('ImagePage')) },
        '400': errorResponse('A bad limit or cursor', ['INVALID_PARAMETER']),
      },
    }),
  },
  '/api/v1/images/{id}': {
    get: operation({
      operationId: 'getImage',
      summary: 'Image metadata',
      tags: ['images'],
      parameters: [id],
      responses: { '200': { description: 'The metadata', content: json(schema('Image')) }, '404': imageNotFound },
    }),
    delete: operation({
      operationId: 'deleteImage',
      summary: 'Delete an image with its delete token',
      description: 'The row, the original and every thumbnail go (objects shared with other uploads of the same bytes stay while those use them).',
      tags: ['images'],
      parameters: [id, { ...headerParameter('X-Delete-Token', 'The `delete_token` of the upload answer'), required: true }],
      responses: {
        '204': { description: 'Deleted' },
        '403': errorResponse('The delete token is missing or wrong', ['INVALID_DELETE_TOKEN']),
        '404': imageNotFound,
        '429': errorResponse('Too many wrong delete tokens for this image or from this client: refused unchecked', ['TOO_MANY_ATTEMPTS'], {
          'Retry-After': header('Seconds until the next attempt may be made', true, { type: 'string', pattern: '^[0-9]+$' }),
        }),
      },
    }),
  },
  '/api/v1/images/{id}/file': {
    get: operation({
      operationId: 'getOriginal',
      summary: 'The original bytes',
      description: 'Strong ETag (the SHA-256), If-None-Match, one Range (with If-Range); cached as immutable.',
      tags: ['images'],
      parameters: [id, ...conditional],
      responses: {
        ...fileResponses(ORIGINAL_MEDIA_TYPES, { 'Content-Disposition': header('`inline` with the display filename', true) }),
        '404': imageNotFound,
      },
    }),
  },
  '/api/v1/images/{id}/thumbnail': {
    get: operation({
      operationId: 'getThumbnail',
      summary: 'A rendition',
      description:
        'Default size 300 when configured, else the first of THUMBNAIL_SIZES. With the `v` of its metadata URL the answer is ' +
        'content-addressed and cached as immutable; without it, revalidated by ETag. Ranges work as on the original.',
      tags: ['images'],
      parameters: [
        id,
        queryParameter('size', 'A configured box edge (THUMBNAIL_SIZES)', { type: 'integer', minimum: 1 }),
        queryParameter('v', 'The version in `renditions[].url`: a prefix of the rendition’s SHA-256', { type: 'string', pattern: '^[0-9a-f]{16}$' }),
        ...conditional,
      ],
      responses: {
        ...fileResponses(RENDITION_MEDIA_TYPES),
        '400': errorResponse('A size that is not configured', ['INVALID_PARAMETER']),
        '404': errorResponse('No such image, or its thumbnail is not ready (pending, processing or failed)', ['IMAGE_NOT_FOUND', 'THUMBNAIL_NOT_READY'], {
          'Retry-After': header('While pending or processing: seconds to wait before asking again'),
          'Cache-Control': header('`no-store` when the thumbnail is not ready'),
        }),
      },
    }),
  },
  '/api/v1/images/{id}/events': {
    get: operation({
      operationId: 'imageEvents',
      summary: 'Live events of one image (Server-Sent Events)',
      description: '`thumbnails.updated` and `image.deleted` frames; each `data` is an `ImageEvent`. Open it, then GET the image.',
      tags: ['events'],
      parameters: [id],
      responses: { '200': eventStream(), '404': imageNotFound },
    }),
  },
  '/api/v1/events': {
    get: operation({
      operationId: 'allEvents',
      summary: 'Live events of every image (Server-Sent Events)',
      description: '`image.created`, `thumbnails.updated` and `image.deleted` frames; each `data` is an `ImageEvent`.',
      tags: ['events'],
      responses: { '200': eventStream() },
    }),
  },
};

function eventStream(): Response {
  return {
    description: 'An event stream that stays open; frames carry `ImageEvent` data',
    headers: { 'Cache-Control': header('`no-store`', true), 'X-Accel-Buffering': header('`no`', true) },
    content: {
      'text/event-stream': {
        schema: { type: 'string', description: 'Frames: `event: <type>`, `data: <ImageEvent JSON>`, blank line; `: open` and `: ping` comments.' },
      },
    },
  };
}

export const IMAGE_PARAMETERS = {
  ImageId: { name: 'id', in: 'path', required: true, description: 'An image id (anything else is 404)', schema: { type: 'string' } },
  Limit: queryParameter('limit', `Page size, 1–${MAX_PAGE_SIZE}`, { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
  Cursor: queryParameter('cursor', 'The `next_cursor` of the previous page', { type: 'string' }),
} as const;

export const COMMON_HEADERS: Readonly<Record<string, Header>> = {
  ETag: header('The SHA-256 of the bytes, quoted (strong)', true, { type: 'string', pattern: '^"[0-9a-f]{64}"$' }),
};

export const COMMON_RESPONSES: Readonly<Record<string, Response>> = {
  InternalError: errorResponse('An unexpected failure (logged; no detail is given)', ['INTERNAL_ERROR']),
  Unavailable: errorResponse('A dependency (database, object store, job queue, attempt limiter) does not answer right now (logged); try again later', ['STORAGE_UNAVAILABLE', 'DATABASE_UNAVAILABLE', 'QUEUE_UNAVAILABLE', 'LIMITER_UNAVAILABLE'], {
    'Retry-After': header('Seconds to wait before trying again', true),
  }),
  Unauthorized: errorResponse('Missing or wrong bearer token', ['UNAUTHORIZED'], { 'WWW-Authenticate': header('`Bearer realm="…"`', true) }),
  AdminDisabled: errorResponse('ADMIN_TOKEN is unset: admin routes do not exist', ['NOT_FOUND']),
  NotFound: errorResponse('No route for this path', ['NOT_FOUND']),
  MethodNotAllowed: errorResponse('The path exists but not with this method', ['METHOD_NOT_ALLOWED']),
};
