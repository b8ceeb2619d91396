import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import { OPENAPI_DOCUMENT } from '../../src/adapters/http/openapi.js';
import { mediaTypeOf, OpenApiValidator, type RecordedResponse } from './openapi-validator.js';

const EMPTY_STATUSES = new Set([204, 205, 304]);

let sharedValidator: OpenApiValidator | undefined;

/** One validator per test file: compiling the document's schemas once is enough. */
export function documentValidator(): OpenApiValidator {
  return (sharedValidator ??= new OpenApiValidator(OPENAPI_DOCUMENT));
}

/**
 * Sees every response an app sends (mount it first, outside every other middleware, so it sees the
 * final status, headers and body) and checks it against the OpenAPI document at once. JSON and text
 * bodies are checked against their schemas; streamed and binary bodies only by status, content type
 * and headers. `problems` lists each departure, naming the route, the status and the schema error.
 */
export class ResponseRecorder {
  /** Each distinct problem, with how often it was seen and the first request that showed it. */
  readonly problems = new Map<string, { count: number; example: string }>();
  count = 0;

  constructor(private readonly validator: OpenApiValidator = documentValidator()) {}

  readonly middleware: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // Koa itself answers an error that escaped every middleware: plain text, which no route documents.
      const status = (error as { status?: unknown }).status;
      this.record({ ...describe(ctx), status: typeof status === 'number' ? status : 500, contentType: 'text/plain', body: { kind: 'skipped' } });
      throw error;
    }
    this.record(describe(ctx));
  };

  private record(response: RecordedResponse): void {
    this.count++;
    let found: string[];
    try {
      found = this.validator.check(response);
    } catch (error) {
      found = [`${response.method} ${response.path} → ${response.status}: validation failed: ${String(error)}`];
    }
    for (const problem of found) {
      const seen = this.problems.get(problem);
      if (seen) seen.count++;
      else this.problems.set(problem, { count: 1, example: `${response.method} ${response.path}` });
    }
  }

  /** Throws one error listing every way the responses departed from the document. */
  assertConforming(): void {
    if (this.problems.size === 0) return;
    const lines = [...this.problems].map(([problem, { count, example }]) => `  - ${problem}\n    (${count}×, e.g. ${example})`);
    const failing = [...this.problems.values()].reduce((sum, { count }) => sum + count, 0);
    throw new Error(
      `${failing} problems in ${this.count} responses: they do not match the OpenAPI document (src/adapters/http/openapi.ts):\n${lines.join('\n')}`,
    );
  }
}

/**
 * Mounts a fresh ResponseRecorder on `app`, first and outermost, so it sees every response exactly as
 * the app sends it. Call it before listen() (which composes the middleware), and assertConforming() when done.
 */
export function recordResponses(app: Koa): ResponseRecorder {
  const responses = new ResponseRecorder();
  app.middleware.unshift(responses.middleware);
  return responses;
}

function describe(ctx: Context): RecordedResponse {
  const status = ctx.status;
  const bodiless = EMPTY_STATUSES.has(status) || ctx.method === 'HEAD' || ctx.body === null || ctx.body === undefined;
  const contentType = bodiless ? null : ctx.response.get('Content-Type') || null;
  const headers = Object.fromEntries(Object.entries(ctx.response.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { method: ctx.method, path: ctx.path, status, contentType, headers, body: bodiless ? { kind: 'none' } : bodyOf(ctx.body, contentType) };
}

function bodyOf(body: unknown, contentType: string | null): RecordedResponse['body'] {
  const mediaType = contentType ? mediaTypeOf(contentType) : '';
  const isJson = mediaType === 'application/json' || mediaType.endsWith('+json');
  if (typeof (body as { pipe?: unknown }).pipe === 'function') return { kind: 'skipped' };
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = typeof body === 'string' ? body : mediaType.startsWith('text/') || isJson ? body.toString('utf8') : null;
    if (text === null) return { kind: 'skipped' };
    if (!isJson) return { kind: 'text', value: text };
    try {
      return { kind: 'json', value: JSON.parse(text) as unknown };
    } catch {
      return { kind: 'text', value: text };
    }
  }
  // An object body: what Koa sends is its JSON.
  return { kind: 'json', value: JSON.parse(JSON.stringify(body)) as unknown };
}
