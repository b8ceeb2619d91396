import { readFileSync } from 'node:fs';
import type { Router } from '@koa/router';
import type Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_DASHBOARD_PATH } from '../../src/adapters/bullmq/dashboard-path.js';
import { metricsRoutes } from '../../src/adapters/http/metrics-routes.js';
import { OPENAPI_DOCUMENT } from '../../src/adapters/http/openapi.js';
import { ERROR_CODES } from '../../src/adapters/http/openapi-schemas.js';
import type { HttpMethod, Operation, Parameter, Reference, Response } from '../../src/adapters/http/openapi-types.js';
import { OpenApiValidator } from '../support/openapi-validator.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const document = OPENAPI_DOCUMENT;
const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options'];
const pointerSegment = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

const operations: { path: string; method: HttpMethod; operation: Operation }[] = Object.entries(document.paths).flatMap(([path, item]) =>
  METHODS.flatMap((method) => (item[method] ? [{ path, method, operation: item[method] }] : [])),
);

function resolve<T>(node: T | Reference): T {
  if (!node || typeof node !== 'object' || !('$ref' in node)) return node;
  let target: unknown = document;
  for (const segment of node.$ref.slice(2).split('/')) target = (target as Record<string, unknown>)[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
  if (target === undefined) throw new Error(`unresolved ${node.$ref}`);
  return resolve(target as T | Reference);
}

/** Every `$ref` anywhere in the document. */
function references(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((child) => references(child, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else references(value, found);
    }
  }
  return found;
}

/** STATUS_BY_CODE in http-errors.ts (module-private, so read from its source): code → status. */
function statusByCode(): Map<string, number> {
  const source = readFileSync(new URL('../../src/adapters/http/http-errors.ts', import.meta.url), 'utf8');
  const table = /const STATUS_BY_CODE[^{]*\{([^}]*)\}/.exec(source)?.[1];
  if (!table) throw new Error('STATUS_BY_CODE not found in http-errors.ts');
  return new Map([...table.matchAll(/^\s*([A-Z_]+):\s*(\d{3}),/gm)].map(([, code, status]) => [code!, Number(status)]));
}

/** The error codes an error response narrows its `Error` body to. */
function narrowedCodes(response: Response): readonly string[] | undefined {
  const body = response.content?.['application/json']?.schema as { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } | undefined;
  return body?.properties?.error?.properties?.code?.enum;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with unique operation ids, and every operation documents its responses', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, operation } of operations) {
      expect(Object.keys(operation.responses).length, `${method} ${path}`).toBeGreaterThan(1);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(status, `${method} ${path}`).toMatch(/^[1-5](\d\d|XX)$/);
        expect(resolve(response).description, `${method} ${path} ${status}`).toEqual(expect.any(String));
      }
    }
  });

  it('resolves every $ref, and declares exactly the path parameters each template has', () => {
    for (const ref of references(document)) expect(() => resolve({ $ref: ref }), ref).not.toThrow();
    for (const { path, method, operation } of operations) {
      const declared = (operation.parameters ?? []).map((p) => resolve<Parameter>(p)).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort());
      expect(declared.every((p) => p.required === true)).toBe(true);
    }
  });

  it('compiles every schema (components, parameters, headers, bodies) with Ajv in strict 2020-12 mode', () => {
    const validator = new OpenApiValidator(document);
    const pointers = Object.keys(document.components.schemas).map((name) => `/components/schemas/${name}`);
    for (const { path, method, operation } of operations) {
      const base = `/paths/${pointerSegment(path)}/${method}`;
      (operation.parameters ?? []).forEach((p, i) => !('$ref' in p) && pointers.push(`${base}/parameters/${i}/schema`));
      for (const type of Object.keys(operation.requestBody?.content ?? {})) pointers.push(`${base}/requestBody/content/${pointerSegment(type)}/schema`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if ('$ref' in response) continue;
        for (const [type, media] of Object.entries(response.content ?? {})) if (media.schema) pointers.push(`${base}/responses/${status}/content/${pointerSegment(type)}/schema`);
        for (const [name, header] of Object.entries(response.headers ?? {})) if (!('$ref' in header)) pointers.push(`${base}/responses/${status}/headers/${pointerSegment(name)}/schema`);
      }
    }
    for (const [name, response] of Object.entries(document.components.responses ?? {})) {
      for (const type of Object.keys(response.content ?? {})) pointers.push(`/components/responses/${name}/content/${pointerSegment(type)}/schema`);
    }
    for (const name of Object.keys(document.components.parameters ?? {})) pointers.push(`/components/parameters/${name}/schema`);
    for (const name of Object.keys(document.components.headers ?? {})) pointers.push(`/components/headers/${name}/schema`);
    for (const pointer of pointers) expect(() => validator.schemaAt(pointer), pointer).not.toThrow();
    expect(pointers.length).toBeGreaterThan(60);
  });

  it('lists in Error.code every code of http-errors.ts, plus INTERNAL_ERROR, and each under the status that code answers', () => {
    const table = statusByCode();
    expect(table.size).toBeGreaterThan(10);
    expect([...ERROR_CODES].sort()).toEqual([...table.keys(), 'INTERNAL_ERROR'].sort());
    table.set('INTERNAL_ERROR', 500);
    for (const { path, method, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const code of narrowedCodes(resolve(response)) ?? []) expect(`${code} → ${table.get(code)}`, `${method} ${path}`).toBe(`${code} → ${status}`);
      }
    }
  });

  it('rejects a response that drifts from it: undocumented status, content type, missing field or extra field', () => {
    const validator = new OpenApiValidator(document);
    const base = { method: 'GET', path: '/api/v1/jobs', headers: { 'cache-control': 'no-store' }, contentType: 'application/json; charset=utf-8' } as const;
    const stats = { waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 };
    expect(validator.check({ ...base, status: 200, body: { kind: 'json', value: stats } })).toEqual([]);
    expect(validator.check({ ...base, status: 201, body: { kind: 'json', value: stats } })).toEqual([expect.stringMatching(/^GET \/api\/v1\/jobs → 201: status 201 is not documented/)]);
    expect(validator.check({ ...base, status: 200, contentType: 'text/html', body: { kind: 'text', value: '' } })).toEqual([expect.stringContaining('content type text/html is not documented')]);
    expect(validator.check({ ...base, status: 200, body: { kind: 'json', value: { ...stats, paused: 0 } } })).toEqual([
      expect.stringContaining('body must NOT have additional properties'),
    ]);
    expect(validator.check({ ...base, status: 200, headers: {}, body: { kind: 'json', value: { waiting: 0 } } })).toEqual([
      'GET /api/v1/jobs → 200: the required header Cache-Control is missing',
      expect.stringContaining("body must have required property 'active'"),
    ]);
    const error = (code: string) => ({ kind: 'json', value: { error: { code, message: 'x' } } }) as const;
    const image = { method: 'GET', path: '/api/v1/images/AAAAAAAAAAAAAAAAAAAAAA', headers: {}, contentType: 'application/json', status: 404 } as const;
    expect(validator.check({ ...image, body: error('IMAGE_NOT_FOUND') })).toEqual([]);
    expect(validator.check({ ...image, body: error('THUMBNAIL_NOT_READY') })).toEqual([expect.stringContaining('body/error/code must be equal to one of the allowed values')]);
    const notModified = { method: 'GET', path: '/api/v1/images/AAAAAAAAAAAAAAAAAAAAAA/file', status: 304, contentType: null, body: { kind: 'none' } } as const;
    expect(validator.check({ ...notModified, headers: { etag: `"${'a'.repeat(64)}"` } })).toEqual([]);
    expect(validator.check({ ...notModified, headers: { etag: '"abc"' } })).toEqual([expect.stringMatching(/^GET \/api\/v1\/images\/\{id\}\/file → 304: the header ETag: .* must match pattern/)]);
    expect(validator.check({ ...notModified, status: 206, headers: {} })).toEqual(expect.arrayContaining(['GET /api/v1/images/{id}/file → 206: the required header Content-Range is missing']));
    expect(validator.check({ ...image, path: '/nope', body: error('NOT_FOUND') })).toEqual([]);
    expect(validator.check({ ...image, path: '/nope', status: 200, body: error('NOT_FOUND') })).toEqual(['GET /nope → 200: no such operation in the document']);
  });
});

/** [METHOD, path in OpenAPI's `{param}` style] of every route a router registers (HEAD comes with GET). */
function routesOf(routers: readonly Router[]): [string, string][] {
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== 'HEAD').map((m): [string, string] => [m, String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}')]),
    ),
  );
}

function routersOf(app: Koa): Router[] {
  return app.middleware.flatMap((middleware) => ('router' in middleware ? [(middleware as unknown as { router: Router }).router] : []));
}

describe('the routes the app serves', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ADMIN_TOKEN: 'openapi-admin-token-0123456789' }, { worker: false });
  });
  afterAll(() => server.close());

  it('are all in the document, and the document has no route that nothing serves', () => {
    const validator = new OpenApiValidator(document);
    // /metrics is built by its own factory (the metrics wiring mounts it); it belongs to the API all the same.
    const metrics = metricsRoutes({ contentType: 'text/plain', metrics: () => Promise.resolve('') });
    const served = routesOf([...routersOf(server.host.app), metrics]);
    expect(served.length).toBeGreaterThan(15);
    // A route is documented when its path is a document path, or a literal one a document template covers (/gallery/{file}).
    const documentedAs = ([method, path]: [string, string]) => {
      const { template, operation } = validator.match(method, path);
      return operation ? `${method} ${template}` : null;
    };
    expect(served.filter((route) => documentedAs(route) === null).map((route) => route.join(' '))).toEqual([]);
    const covered = new Set(served.map(documentedAs));
    // bull-board is mounted as middleware (QUEUE=bullmq only), not as a router.
    expect(operations.map(({ path, method }) => `${method.toUpperCase()} ${path}`).filter((route) => !covered.has(route))).toEqual([
      `GET ${QUEUE_DASHBOARD_PATH}`,
    ]);
  });
});
