import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { Header, OpenApiDocument, Operation, Reference, Response } from '../../src/adapters/http/openapi-types.js';

/** What a test server answered, as the response recorder saw it. */
export interface RecordedResponse {
  readonly method: string;
  /** The request path, without the query string. */
  readonly path: string;
  readonly status: number;
  /** Null when the response has no body (204, 304, HEAD). */
  readonly contentType: string | null;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body:
    | { readonly kind: 'json'; readonly value: unknown }
    | { readonly kind: 'text'; readonly value: string }
    | { readonly kind: 'none' }
    /** Streams (files, event streams) and binary buffers: their bodies are not inspected. */
    | { readonly kind: 'skipped' };
}

const DOCUMENT_ID = 'https://imagehost.invalid/openapi.json';
const EMPTY_STATUSES = new Set([204, 205, 304]);

/** A JSON Pointer fragment segment (RFC 6901) for a key such as `/api/v1/images` or `application/json`. */
const pointerSegment = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

export const mediaTypeOf = (contentType: string) => (contentType.split(';')[0] ?? '').trim().toLowerCase();

/** The path templates of the document, concrete ones before templated ones (as OpenAPI matches them). */
function compileTemplates(document: OpenApiDocument): { template: string; pattern: RegExp }[] {
  const escape = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return Object.keys(document.paths)
    .map((template) => {
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith('{') ? '([^/]+)' : escape(part)))
        .join('');
      return { template, pattern: new RegExp(`^${source}$`), params: (template.match(/\{/g) ?? []).length };
    })
    .sort((a, b) => a.params - b.params || b.template.length - a.template.length);
}

/**
 * Checks responses against the OpenAPI document: the route and method, the status, the content type,
 * the headers the document marks required, and (for JSON and text bodies) the body against its schema,
 * with Ajv in JSON Schema 2020-12 mode and its formats.
 */
export class OpenApiValidator {
  readonly ajv: Ajv2020;
  private readonly templates: { template: string; pattern: RegExp }[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    this.ajv = new Ajv2020({ allErrors: true, strict: true });
    formats.default(this.ajv);
    // OpenAPI's own format for file parts of a multipart request body.
    this.ajv.addFormat('binary', true);
    // The document itself is the root every `#/components/…` reference resolves against; its
    // top-level OpenAPI fields are known to Ajv as annotations, so strict mode stays on for schemas.
    this.ajv.addVocabulary(Object.keys(document));
    this.ajv.addSchema(document, DOCUMENT_ID);
    this.templates = compileTemplates(document);
  }

  /** The validator of the schema at `pointer` (e.g. `/components/schemas/Image`) inside the document. */
  schemaAt(pointer: string): ValidateFunction {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
      this.compiled.set(pointer, validate);
    }
    return validate;
  }

  /** The document path whose template matches `path` and has `method`, else the first that matches at all. */
  match(method: string, path: string): { template: string | null; operation: Operation | undefined } {
    const verb = (method === 'HEAD' ? 'get' : method.toLowerCase()) as keyof OpenApiDocument['paths'][string];
    let first: string | null = null;
    for (const { template, pattern } of this.templates) {
      if (!pattern.test(path)) continue;
      first ??= template;
      const operation = this.document.paths[template]?.[verb];
      if (operation) return { template, operation };
    }
    return { template: first, operation: undefined };
  }

  /** Every way `response` departs from the document; empty when it conforms. */
  check(response: RecordedResponse): string[] {
    const { template, operation } = this.match(response.method, response.path);
    const route = `${response.method} ${template ?? response.path}`;
    const where = `${route} → ${response.status}`;
    if (!operation) {
      // Routing answers for what the document does not have: unknown paths and methods.
      if (response.method === 'OPTIONS' && response.status === 200 && response.headers.allow) return [];
      const generic = response.status === 404 ? 'NotFound' : response.status === 405 ? 'MethodNotAllowed' : null;
      if (!generic) return [`${where}: no such operation in the document`];
      return this.checkResponse(response, where, `/components/responses/${generic}`);
    }
    const key = [String(response.status), `${String(response.status)[0]}XX`, 'default'].find((k) => k in operation.responses);
    if (!key) return [`${where}: status ${response.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    const verb = response.method === 'HEAD' ? 'get' : response.method.toLowerCase();
    return this.checkResponse(response, where, `/paths/${pointerSegment(template!)}/${verb}/responses/${key}`);
  }

  private checkResponse(response: RecordedResponse, where: string, pointer: string): string[] {
    const [documented, at] = this.resolve<Response>(pointer);
    const problems: string[] = [];
    for (const name of Object.keys(documented.headers ?? {})) {
      const [spec, specAt] = this.resolve<Header>(`${at}/headers/${pointerSegment(name)}`);
      const value = response.headers[name.toLowerCase()];
      if (value === undefined) {
        if (spec.required) problems.push(`${where}: the required header ${name} is missing`);
        continue;
      }
      const validate = this.schemaAt(`${specAt}/schema`);
      const shown = JSON.stringify(value); // before validate(), whose type guard would narrow `value` away
      if (!validate(value)) problems.push(`${where}: the header ${name}: ${shown} does not match its schema: ${this.ajv.errorsText(validate.errors, { dataVar: name })}`);
    }
    if (!documented.content) {
      if (response.body.kind !== 'none') problems.push(`${where}: the document says no body, but it has one (${response.contentType ?? 'no content type'})`);
      return problems;
    }
    if (response.contentType === null) {
      if (response.method !== 'HEAD' && !EMPTY_STATUSES.has(response.status)) problems.push(`${where}: no body, but the document has ${Object.keys(documented.content).join(', ')}`);
      return problems;
    }
    const mediaType = mediaTypeOf(response.contentType);
    const documentedType = Object.keys(documented.content).find((type) => {
      const base = mediaTypeOf(type);
      return base === mediaType || (base.endsWith('/*') && mediaType.startsWith(base.slice(0, -1)));
    });
    if (!documentedType) {
      problems.push(`${where}: content type ${response.contentType} is not documented (documented: ${Object.keys(documented.content).join(', ')})`);
      return problems;
    }
    if (!documented.content[documentedType]?.schema || (response.body.kind !== 'json' && response.body.kind !== 'text')) return problems;
    const validate = this.schemaAt(`${at}/content/${pointerSegment(documentedType)}/schema`);
    if (!validate(response.body.value)) {
      problems.push(`${where}: the ${mediaType} body does not match the schema: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
    }
    return problems;
  }

  /** The object at `pointer`, following a `$ref` there; with the pointer where it was found. */
  private resolve<T>(pointer: string): [T, string] {
    let node: unknown = this.document;
    for (const segment of pointer.split('/').slice(1)) {
      node = (node as Record<string, unknown>)[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
    }
    if (node === undefined) throw new Error(`the document has nothing at #${pointer}`);
    const ref = (node as Partial<Reference>).$ref;
    return ref ? this.resolve<T>(ref.slice(1)) : [node as T, pointer];
  }
}
