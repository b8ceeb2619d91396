import { MAX_PAGE_SIZE } from '../../application/list-images.js';
import { IMAGE_FORMATS } from '../../domain/image-format.js';
import type { JsonSchema } from './openapi-types.js';

/**
 * The JSON Schema 2020-12 component schemas of the OpenAPI document. Exact on purpose: every object
 * says `additionalProperties: false` and lists what is required, and a nullable field says so with a
 * type array, so a response that drifts from image-json.ts (or a route's own shape) fails validation.
 */

/**
 * Every `code` an error body can carry: the codes in http-errors.ts's STATUS_BY_CODE, plus
 * INTERNAL_ERROR (the generic 500). test/http/openapi-document.test.ts keeps the two lists equal.
 */
export const ERROR_CODES = [
  'IMAGE_NOT_FOUND',
  'THUMBNAIL_NOT_READY',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'EMPTY_FILE',
  'FILE_REQUIRED',
  'INVALID_PARAMETER',
  'MALFORMED_MULTIPART',
  'TOO_MANY_FILES',
  'INVALID_DELETE_TOKEN',
  'UNAUTHORIZED',
  'IDEMPOTENCY_KEY_IN_USE',
  'IDEMPOTENCY_KEY_REUSED',
  'FILE_TOO_LARGE',
  'RANGE_NOT_SATISFIABLE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INVALID_IMAGE',
  'IMAGE_TOO_LARGE',
  'TOO_MANY_ATTEMPTS',
  'STORAGE_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
  'LIMITER_UNAVAILABLE',
  'QUEUE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The media types an original can have: the formats sniffed from the bytes. */
export const ORIGINAL_MEDIA_TYPES = Object.values(IMAGE_FORMATS);
/** The media types a rendition can have (THUMBNAIL_FORMAT). */
export const RENDITION_MEDIA_TYPES = ['image/jpeg', 'image/webp', 'image/avif'] as const;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string, extra: JsonSchema = {}) => ({ type: [type, 'null'], ...extra });
const count = { type: 'integer', minimum: 0 };
const dimension = { type: 'integer', minimum: 1 };
const timestamp = { type: 'string', format: 'date-time' };
const path = { type: 'string', format: 'uri-reference', pattern: '^/' };
/** A stable failure code, e.g. INVALID_IMAGE (thumbnail failures include codes no HTTP error has). */
const failureCode = { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' };

function closedObject(properties: Readonly<Record<string, JsonSchema>>, description?: string): JsonSchema {
  return { type: 'object', ...(description ? { description } : {}), additionalProperties: false, required: Object.keys(properties), properties };
}

const imageProperties: Readonly<Record<string, JsonSchema>> = {
  id: ref('ImageId'),
  filename: { type: 'string', description: 'The client’s filename, cleaned of paths and control characters; display only.' },
  content_type: { type: 'string', enum: ORIGINAL_MEDIA_TYPES, description: 'Sniffed from the bytes.' },
  size_bytes: dimension,
  checksum_sha256: ref('Sha256'),
  width: { ...dimension, description: 'As displayed (EXIF orientation applied).' },
  height: { ...dimension, description: 'As displayed (EXIF orientation applied).' },
  url: { ...path, description: 'The original bytes.' },
  thumbnail_ready: { type: 'boolean' },
  thumbnail_status: ref('ThumbnailStatus'),
  thumbnail_url: { ...path, description: 'The default rendition (revalidated; see `renditions[].url` for immutable URLs).' },
  thumbnail_attempts: count,
  thumbnail_error: nullable('string', { pattern: failureCode.pattern, description: 'Code of the last failure, null when none.' }),
  thumbnail_next_retry_at: nullable('string', { format: 'date-time', description: 'When a failed attempt is retried; null when none is planned.' }),
  placeholder: nullable('string', {
    contentEncoding: 'base64',
    pattern: '^[A-Za-z0-9+/]+={0,2}$',
    description: 'A ThumbHash (base64) to paint a blurred preview; null until the first rendering.',
  }),
  renditions: { type: 'array', items: ref('Rendition') },
  created_at: timestamp,
};

export const COMPONENT_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  Error: {
    ...closedObject({
      error: closedObject({
        code: { type: 'string', enum: ERROR_CODES, description: 'Stable; branch on it.' },
        message: { type: 'string', description: 'For people; may change.' },
      }),
    }),
    description: 'Every error response.',
  },
  ImageId: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$', description: '128 random bits, base64url.' },
  Sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  ThumbnailStatus: { type: 'string', enum: ['pending', 'processing', 'ready', 'failed'] },
  Rendition: closedObject({
    size: { ...dimension, description: 'The box edge it was made for (one of THUMBNAIL_SIZES).' },
    width: dimension,
    height: dimension,
    bytes: dimension,
    content_type: { type: 'string', enum: RENDITION_MEDIA_TYPES },
    url: { ...path, description: 'Content-addressed (`?size=&v=`): cached as immutable.' },
  }),
  Image: closedObject(imageProperties, 'Image metadata. Never includes the delete token.'),
  UploadedImage: closedObject(
    { ...imageProperties, delete_token: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$', description: '256 random bits; returned only here.' } },
    'Image metadata and the delete token, which only the upload answer carries.',
  ),
  ImagePage: closedObject({
    items: { type: 'array', maxItems: MAX_PAGE_SIZE, items: ref('Image') },
    next_cursor: nullable('string', { description: 'Pass as `cursor` for the next page; null on the last page.' }),
  }),
  JobStats: closedObject({ waiting: count, active: count, delayed: count, completed: count, failed: count }, 'Background job counts by state.'),
  FailedJob: closedObject({
    image_id: ref('ImageId'),
    filename: { type: 'string' },
    attempts: count,
    error: nullable('string', { pattern: failureCode.pattern }),
    failed_at: timestamp,
    retry_url: { ...path, description: 'POST it (admin) to retry.' },
  }),
  FailedJobPage: closedObject({
    items: { type: 'array', maxItems: MAX_PAGE_SIZE, items: ref('FailedJob') },
    next_cursor: nullable('string'),
  }),
  RetryQueued: closedObject({ queued: { ...count, description: 'How many failed images were queued again.' } }),
  Liveness: closedObject({ status: { const: 'ok' } }),
  Readiness: closedObject({
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    checks: closedObject(
      Object.fromEntries(['database', 'storage', 'queue'].map((name) => [name, ref('DependencyState')])),
      'One entry per dependency.',
    ),
  }),
  DependencyState: { type: 'string', enum: ['ok', 'unavailable'] },
  ImageCreatedEvent: closedObject(
    { type: { const: 'image.created' }, image_id: ref('ImageId'), at: timestamp },
    'The `data` of an `image.created` frame (only on /api/v1/events).',
  ),
  ImageDeletedEvent: closedObject({ type: { const: 'image.deleted' }, image_id: ref('ImageId'), at: timestamp }, 'The `data` of an `image.deleted` frame.'),
  ThumbnailsUpdatedEvent: closedObject(
    {
      type: { const: 'thumbnails.updated' },
      image_id: ref('ImageId'),
      status: ref('ThumbnailStatus'),
      error: nullable('string', { pattern: failureCode.pattern }),
      at: timestamp,
    },
    'The `data` of a `thumbnails.updated` frame.',
  ),
  ImageEvent: {
    description:
      'Each Server-Sent Event is `event: <type>` and `data: <one line of JSON>` (one of these shapes), then a blank line. ' +
      'Comments: `: open` once the subscription is in place, `: ping` every 15 s. No replay: open the stream, then GET the image.',
    oneOf: [ref('ImageCreatedEvent'), ref('ImageDeletedEvent'), ref('ThumbnailsUpdatedEvent')],
  },
};
