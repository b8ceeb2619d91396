import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DELETE_ATTEMPT_RULES } from '../../src/application/delete-image.js';
import { deleteLimitsConfigurable } from '../support/delete-limits-config.js';
import * as samples from '../support/sample-images.js';
import {
  expectConsistent,
  imagehostCommands,
  ImagehostModel,
  type DeleteLimits,
  type DeleteOutcome,
  type ImageSpec,
  type ImagehostDriver,
} from '../support/imagehost-model.js';
import { startTestServer, uploadFile } from '../support/test-server.js';

const WINDOW_SECONDS = 900;
/**
 * Low limits, so that short runs reach them, with two clients told apart by a trusted proxy's
 * X-Forwarded-For; on a configuration without those settings, the shipped rules and one client.
 */
const LIMITS: DeleteLimits = deleteLimitsConfigurable
  ? { perImage: { maxFailures: 2, windowMs: WINDOW_SECONDS * 1000 }, perClient: { maxFailures: 3, windowMs: WINDOW_SECONDS * 1000 } }
  : DEFAULT_DELETE_ATTEMPT_RULES;
const CLIENTS = deleteLimitsConfigurable ? 2 : 1;
const ENV: Record<string, string> = {
  THUMBNAIL_SIZES: '150',
  ...(deleteLimitsConfigurable && {
    TRUST_PROXY_HOPS: '1',
    DELETE_ATTEMPTS_PER_IMAGE: String(LIMITS.perImage.maxFailures),
    DELETE_ATTEMPTS_PER_CLIENT: String(LIMITS.perClient.maxFailures),
    DELETE_ATTEMPTS_WINDOW_SECONDS: String(WINDOW_SECONDS),
  }),
};
/** The production stack starts a database and an S3 server per run: fewer runs there. */
const RUNS = process.env.TEST_STACK === 'production' ? 4 : 10;

/** Real images of every accepted format, a few pixels each (the salt picks a JPEG quality). Cached: equal specs, identical bytes. */
const encoded = new Map<string, Promise<Uint8Array>>();
function realBytes(spec: ImageSpec): Promise<Uint8Array> {
  const key = JSON.stringify(spec);
  let bytes = encoded.get(key);
  if (!bytes) {
    bytes =
      spec.format === 'jpeg'
        ? samples.jpeg(spec.width, spec.height, { quality: 70 + spec.salt * 10 })
        : samples.image(spec.format, spec.width + spec.salt, spec.height);
    encoded.set(key, bytes);
  }
  return bytes;
}

function httpDriver(baseUrl: string): ImagehostDriver {
  return {
    async upload(bytes) {
      const response = await uploadFile(baseUrl, bytes);
      const body = (await response.json()) as { id: string; delete_token: string };
      expect(response.status, JSON.stringify(body)).toBe(201);
      return { id: body.id, deleteToken: body.delete_token };
    },
    async read(id) {
      const [metadata, file] = await Promise.all([fetch(`${baseUrl}/api/v1/images/${id}`), fetch(`${baseUrl}/api/v1/images/${id}/file`)]);
      const bytes = new Uint8Array(await file.arrayBuffer());
      await metadata.arrayBuffer();
      expect([metadata.status, file.status], `metadata and file of ${id}`).toEqual(file.status === 404 ? [404, 404] : [200, 200]);
      return file.status === 404 ? null : bytes;
    },
    async delete(id, token, client) {
      // Behind one trusted proxy, each model client is its own address (ignored without TRUST_PROXY_HOPS).
      const headers: Record<string, string> = { 'X-Forwarded-For': `192.0.2.${client + 1}` };
      if (token !== undefined) headers['X-Delete-Token'] = token;
      const response = await fetch(`${baseUrl}/api/v1/images/${id}`, { method: 'DELETE', headers });
      if (response.status === 204) return 'DELETED';
      const { error } = (await response.json()) as { error: { code: DeleteOutcome } };
      const status = { DELETED: 204, IMAGE_NOT_FOUND: 404, INVALID_DELETE_TOKEN: 403, TOO_MANY_ATTEMPTS: 429 }[error.code];
      expect(response.status, error.code).toBe(status);
      if (error.code === 'TOO_MANY_ATTEMPTS') expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      return error.code;
    },
    async listIds() {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = (await (await fetch(`${baseUrl}/api/v1/images?limit=5${query}`)).json()) as { items: { id: string }[]; next_cursor: string | null };
        ids.push(...page.items.map((item) => item.id));
        cursor = page.next_cursor;
      } while (cursor);
      return ids;
    },
  };
}

describe('the HTTP service against a model (embedded stack, or the production stack)', () => {
  it('keeps every image readable and intact until its right token deletes it, lists exactly the live set, and limits wrong tokens', { timeout: 120_000 }, async () => {
    const commands = imagehostCommands({ bytesOf: realBytes, clients: CLIENTS, withTime: false, maxCommands: 30 });
    await fc.assert(
      fc.asyncProperty(commands, async (sequence) => {
        const server = await startTestServer(ENV);
        try {
          const setup = { model: new ImagehostModel(LIMITS), real: httpDriver(server.baseUrl) };
          await fc.asyncModelRun(() => setup, sequence);
          await expectConsistent(setup);
          expect(server.logger.entries.filter((entry) => entry.level === 'error')).toEqual([]);
        } finally {
          await server.close();
        }
      }),
      { numRuns: RUNS },
    );
  });
});
