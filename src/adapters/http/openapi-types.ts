/**
 * The part of OpenAPI 3.1 the imagehost document uses, typed so that a misspelt field fails the build.
 * Schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect), kept as plain objects.
 */

/** A JSON Schema 2020-12 schema (objects only: the document never uses boolean schemas). */
export type JsonSchema = { readonly [keyword: string]: unknown };

export interface Reference {
  readonly $ref: string;
}

export interface MediaType {
  /** Omitted for raw bytes (images, stylesheets, scripts): OpenAPI 3.1 needs no schema for them. */
  readonly schema?: JsonSchema;
}

export interface Header {
  readonly description?: string;
  /** A response header that every response of this kind carries. */
  readonly required?: boolean;
  readonly schema: JsonSchema;
}

export interface Response {
  readonly description: string;
  readonly headers?: Readonly<Record<string, Header | Reference>>;
  /** Absent for responses without a body (204, 304). */
  readonly content?: Readonly<Record<string, MediaType>>;
}

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly description?: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
}

export interface RequestBody {
  readonly description?: string;
  readonly required?: boolean;
  readonly content: Readonly<Record<string, MediaType & { readonly encoding?: Readonly<Record<string, { readonly contentType: string }>> }>>;
}

export type SecurityRequirement = Readonly<Record<string, readonly string[]>>;

export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly (Parameter | Reference)[];
  readonly requestBody?: RequestBody;
  readonly responses: Readonly<Record<string, Response | Reference>>;
  readonly security?: readonly SecurityRequirement[];
}

export type HttpMethod = 'get' | 'post' | 'put' | 'delete' | 'patch' | 'head' | 'options';

export type PathItem = { readonly [M in HttpMethod]?: Operation };

export interface SecurityScheme {
  readonly type: 'http';
  readonly scheme: 'bearer';
  readonly description?: string;
}

export interface OpenApiDocument {
  readonly openapi: `3.1.${number}`;
  readonly jsonSchemaDialect?: string;
  readonly info: { readonly title: string; readonly version: string; readonly description?: string; readonly license?: { readonly name: string; readonly identifier?: string } };
  readonly tags?: readonly { readonly name: string; readonly description?: string }[];
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly responses?: Readonly<Record<string, Response>>;
    readonly parameters?: Readonly<Record<string, Parameter>>;
    readonly headers?: Readonly<Record<string, Header>>;
    readonly securitySchemes?: Readonly<Record<string, SecurityScheme>>;
  };
}
