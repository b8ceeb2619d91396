import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import * as samples from './sample-images.js';
import { startTestServer, uploadFile, waitForThumbnail, type TestServer } from './test-server.js';

export interface Sentinel {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly keys: readonly string[];
  /** Fails unless the image still answers in full: metadata, original bytes, thumbnail, stored objects. */
  expectIntact(): Promise<void>;
}

/**
 * An image uploaded before any hostile input, whose thumbnails are ready: a test asserts after each
 * case that nothing already stored was lost or changed.
 */
export async function uploadSentinel(server: TestServer): Promise<Sentinel> {
  const bytes = await samples.jpeg(123, 77);
  const response = await uploadFile(server.baseUrl, bytes, { filename: 'sentinel.jpg' });
  const { id, checksum_sha256: checksum } = (await response.json()) as { id: string; checksum_sha256: string };
  const settled = await waitForThumbnail(server.baseUrl, id);
  expect(settled.thumbnail_status).toBe('ready');
  const keys = (await server.storedKeys()).filter((key) => key.includes(checksum));
  expect(keys.length).toBeGreaterThan(1);
  return {
    id,
    bytes,
    keys,
    async expectIntact() {
      const metadata = (await (await fetch(`${server.baseUrl}/api/v1/images/${id}`)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ id, thumbnail_status: 'ready', checksum_sha256: checksum, size_bytes: bytes.length });
      const file = await fetch(`${server.baseUrl}/api/v1/images/${id}/file`);
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
      const thumbnail = await fetch(`${server.baseUrl}/api/v1/images/${id}/thumbnail`);
      expect(thumbnail.status).toBe(200);
      await thumbnail.arrayBuffer();
      expect(await server.storedKeys()).toEqual(expect.arrayContaining([...keys]));
    },
  };
}

/** Every image id the server lists (all pages). */
export async function listedIds(baseUrl: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = (await (await fetch(`${baseUrl}/api/v1/images?limit=100${query}`)).json()) as { items: { id: string }[]; next_cursor: string | null };
    ids.push(...page.items.map((item) => item.id));
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

/**
 * The real service for a file of hostile-input tests, started once, with a sentinel image uploaded
 * first. After each test the sentinel still answers in full; with `refusedOnly` (every request in the
 * file is refused), no row and no object was added either. Call at the top of the file.
 */
export function serverWithSentinel(env: Record<string, string>, options: { refusedOnly?: boolean } = {}): { readonly server: TestServer } {
  const state: { server?: TestServer; sentinel?: Sentinel; ids?: string[]; keys?: string[] } = {};
  const server = (): TestServer => state.server ?? expect.fail('the server has not started');
  beforeAll(async () => {
    state.server = await startTestServer(env);
    state.sentinel = await uploadSentinel(state.server);
    state.ids = await listedIds(state.server.baseUrl);
    state.keys = (await state.server.storedKeys()).sort();
  });
  afterEach(async () => {
    await state.sentinel?.expectIntact();
    if (!options.refusedOnly) return;
    expect(await listedIds(server().baseUrl)).toEqual(state.ids);
    expect((await server().storedKeys()).sort()).toEqual(state.keys);
  });
  afterAll(() => state.server?.close());
  return {
    get server() {
      return server();
    },
  };
}
