import type { ErrorCode } from './openapi-schemas.js';
import type { Header, JsonSchema, MediaType, Operation, Parameter, Reference, Response } from './openapi-types.js';

/** Small builders the OpenAPI document is written with, so each operation reads as what it answers. */

export const schema = (name: string): Reference => ({ $ref: `#/components/schemas/${name}` });
export const responseRef = (name: string): Reference => ({ $ref: `#/components/responses/${name}` });
export const parameterRef = (name: string): Reference => ({ $ref: `#/components/parameters/${name}` });
export const headerRef = (name: string): Reference => ({ $ref: `#/components/headers/${name}` });

export function json(body: JsonSchema | Reference): Record<string, MediaType> {
  return { 'application/json': { schema: body as JsonSchema } };
}

/** Raw bytes in any of these media types (no schema: OpenAPI 3.1 describes binary bodies by media type alone). */
export function bytes(mediaTypes: readonly string[]): Record<string, MediaType> {
  return Object.fromEntries(mediaTypes.map((type) => [type, {}]));
}

export function text(mediaType: string, description: string): Record<string, MediaType> {
  return { [mediaType]: { schema: { type: 'string', description } } };
}

export function header(description: string, required = false, headerSchema: JsonSchema = { type: 'string' }): Header {
  return { description, ...(required ? { required } : {}), schema: headerSchema };
}

/** An `Error` body whose `code` is narrowed to the codes this response can carry. */
export function errorResponse(description: string, codes: readonly ErrorCode[], headers?: Response['headers']): Response {
  const narrowed = { allOf: [schema('Error')], type: 'object', properties: { error: { type: 'object', properties: { code: { enum: codes } } } } };
  return { description, ...(headers ? { headers } : {}), content: json(narrowed) };
}

export function queryParameter(name: string, description: string, parameterSchema: JsonSchema): Parameter {
  return { name, in: 'query', description, schema: parameterSchema };
}

export function headerParameter(name: string, description: string, parameterSchema: JsonSchema = { type: 'string' }): Parameter {
  return { name, in: 'header', description, schema: parameterSchema };
}

/**
 * An operation; every one can answer the generic 500 (an unexpected failure, logged) and, unless it
 * says otherwise, a 503 while the database or the object store is unavailable.
 */
export function operation(spec: Omit<Operation, 'responses'> & { readonly responses: Operation['responses'] }): Operation {
  const unavailable: Operation['responses'] = '503' in spec.responses ? {} : { '503': responseRef('Unavailable') };
  return { ...spec, responses: { ...spec.responses, ...unavailable, '500': responseRef('InternalError') } };
}

/** An operation behind the admin token: 401 without it, 404 when ADMIN_TOKEN is unset. */
export function adminOperation(spec: Omit<Operation, 'responses' | 'security'> & { readonly responses: Operation['responses'] }): Operation {
  return operation({
    ...spec,
    security: [{ adminBearer: [] }],
    responses: { ...spec.responses, '401': responseRef('Unauthorized'), ...('404' in spec.responses ? {} : { '404': responseRef('AdminDisabled') }) },
  });
}

/** A static file (page, script, stylesheet, icon): 200, or 304 to a matching If-None-Match. */
export function staticFile(spec: {
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly mediaTypes: readonly string[];
  readonly description?: string;
  readonly parameters?: Operation['parameters'];
  readonly extraResponses?: Operation['responses'];
}): Operation {
  const cacheHeaders = { 'Cache-Control': header('Immutable for a versioned URL, else revalidated', true), ETag: header('Strong', true) };
  return operation({
    operationId: spec.operationId,
    summary: spec.summary,
    tags: spec.tags,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    responses: {
      '200': { description: spec.summary, headers: cacheHeaders, content: bytes(spec.mediaTypes) },
      '304': { description: 'Not modified (If-None-Match matched)', headers: { ETag: header('Strong', true) } },
      ...spec.extraResponses,
    },
  });
}
