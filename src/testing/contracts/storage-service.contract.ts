import { createHash, randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StorageService } from '../../ports/storage-service.js';

export interface StorageServiceSubject {
  storage: StorageService;
  close(): Promise<void>;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Compares by length and digest, so a mismatch on megabytes prints two short lines, not a byte dump. */
function expectSameBytes(actual: Uint8Array | null, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual?.byteLength).toBe(expected.byteLength);
  expect(sha256(actual ?? new Uint8Array())).toBe(sha256(expected));
}

/**
 * The behaviour every StorageService must have. `factory` builds a fresh, empty subject for each test;
 * `close` releases it.
 */
export function storageServiceContract(name: string, factory: () => Promise<StorageServiceSubject>): void {
  describe(`StorageService contract: ${name}`, () => {
    let subject: StorageServiceSubject | undefined;
    let storage: StorageService;

    beforeEach(async () => {
      subject = await factory();
      storage = subject.storage;
    });

    afterEach(async () => {
      await subject?.close();
      subject = undefined;
    });

    it.each([
      ['an empty buffer', new Uint8Array(0)],
      ['a few bytes', bytes('hello')],
      ['3 MiB of random bytes', new Uint8Array(randomBytes(3 * 1024 * 1024))],
    ])('put then get returns identical bytes: %s', async (_label, body) => {
      await storage.put('originals/img1', body, { contentType: 'image/png' });

      expectSameBytes(await storage.get('originals/img1'), body);
    });

    it('put replaces an existing object, content type included', async () => {
      await storage.put('originals/img1', bytes('first version'), { contentType: 'image/png' });
      await storage.put('originals/img1', bytes('second'), { contentType: 'image/jpeg' });

      expectSameBytes(await storage.get('originals/img1'), bytes('second'));
      const stored = await storage.getStream('originals/img1');
      stored?.body.destroy();
      expect(stored).toMatchObject({ size: 6, contentType: 'image/jpeg' });
    });

    it('mutating the buffer given to put, or returned by get, does not change the stored object', async () => {
      const body = bytes('original');
      await storage.put('originals/img1', body, { contentType: 'image/png' });
      body.fill(0);
      (await storage.get('originals/img1'))?.fill(0);

      expectSameBytes(await storage.get('originals/img1'), bytes('original'));
    });

    it('get of a missing key returns null', async () => {
      expect(await storage.get('originals/missing')).toBeNull();
    });

    it('getStream returns the exact bytes, size and content type given at put', async () => {
      const body = new Uint8Array(randomBytes(300 * 1024));
      await storage.put('thumbnails/abc/300.webp', body, { contentType: 'image/webp' });

      const stored = await storage.getStream('thumbnails/abc/300.webp');

      expect(stored).not.toBeNull();
      expect(stored?.size).toBe(body.byteLength);
      expect(stored?.contentType).toBe('image/webp');
      expectSameBytes(stored ? new Uint8Array(await buffer(stored.body)) : null, body);
    });

    it('getStream of a range returns exactly those bytes, with the whole size and the content type', async () => {
      const body = new Uint8Array(randomBytes(200 * 1024));
      await storage.put('originals/ranged', body, { contentType: 'image/jpeg' });
      for (const [start, end] of [[5, 5], [0, 99], [1000, 150_000], [body.byteLength - 10, body.byteLength - 1]] as const) {
        const stored = await storage.getStream('originals/ranged', { start, end });
        expect(stored?.size).toBe(body.byteLength);
        expect(stored?.contentType).toBe('image/jpeg');
        expectSameBytes(stored ? new Uint8Array(await buffer(stored.body)) : null, body.subarray(start, end + 1));
      }
      expect(await storage.getStream('originals/missing', { start: 0, end: 9 })).toBeNull();
    });

    it('getStream of a missing key returns null', async () => {
      expect(await storage.getStream('originals/missing')).toBeNull();
    });

    it('delete removes the object', async () => {
      await storage.put('originals/img1', bytes('doomed'), { contentType: 'image/png' });

      await storage.delete('originals/img1');

      expect(await storage.get('originals/img1')).toBeNull();
      expect(await storage.getStream('originals/img1')).toBeNull();
    });

    it('delete of a missing key resolves, and deleting twice is fine', async () => {
      await expect(storage.delete('originals/never-stored')).resolves.toBeUndefined();
      await storage.put('originals/img1', bytes('x'), { contentType: 'image/png' });
      await storage.delete('originals/img1');
      await expect(storage.delete('originals/img1')).resolves.toBeUndefined();
    });

    it('nested keys are independent of their siblings', async () => {
      await storage.put('thumbnails/abc/300.jpg', bytes('large'), { contentType: 'image/jpeg' });
      await storage.put('thumbnails/abc/150.jpg', bytes('small'), { contentType: 'image/jpeg' });

      expectSameBytes(await storage.get('thumbnails/abc/300.jpg'), bytes('large'));
      expectSameBytes(await storage.get('thumbnails/abc/150.jpg'), bytes('small'));
    });

    it('deleting one key leaves its siblings', async () => {
      await storage.put('thumbnails/abc/300.jpg', bytes('large'), { contentType: 'image/jpeg' });
      await storage.put('thumbnails/abc/150.jpg', bytes('small'), { contentType: 'image/jpeg' });

      await storage.delete('thumbnails/abc/300.jpg');

      expect(await storage.get('thumbnails/abc/300.jpg')).toBeNull();
      expectSameBytes(await storage.get('thumbnails/abc/150.jpg'), bytes('small'));
    });

    it('concurrent puts of different keys all land', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `thumbnails/img${i}/${i * 10}.png`);

      await Promise.all(keys.map((key) => storage.put(key, bytes(key), { contentType: 'image/png' })));

      for (const key of keys) expectSameBytes(await storage.get(key), bytes(key));
    });

    describe('list', () => {
      const KEYS = [
        'originals/ab/ab01',
        'originals/ab/ab02',
        'originals/cd/cd03',
        'renditions/ab/ab01/jpeg-q85-150.jpg',
        'renditions/ab/ab01/jpeg-q85-300.jpg',
        'originals-extra/x',
        'top',
      ];
      const putAll = (keys: readonly string[]) => Promise.all(keys.map((key) => storage.put(key, bytes(key), { contentType: 'image/png' })));
      async function listed(prefix: string): Promise<string[]> {
        const keys: string[] = [];
        for await (const key of storage.list(prefix)) keys.push(key);
        return keys.sort();
      }

      it('lists every key that starts with the prefix, each once, and no other', async () => {
        await putAll(KEYS);
        expect(await listed('originals/')).toEqual(['originals/ab/ab01', 'originals/ab/ab02', 'originals/cd/cd03']);
        expect(await listed('renditions/')).toEqual(['renditions/ab/ab01/jpeg-q85-150.jpg', 'renditions/ab/ab01/jpeg-q85-300.jpg']);
        expect(await listed('originals/ab/ab0')).toEqual(['originals/ab/ab01', 'originals/ab/ab02']);
        expect(await listed('orig')).toEqual(['originals-extra/x', 'originals/ab/ab01', 'originals/ab/ab02', 'originals/cd/cd03']);
        expect(await listed('')).toEqual([...KEYS].sort());
      });

      it('lists nothing in an empty store, or under a prefix nothing is stored under', async () => {
        expect(await listed('')).toEqual([]);
        expect(await listed('originals/')).toEqual([]);
        await putAll(KEYS);
        expect(await listed('renditions/zz/')).toEqual([]);
        expect(await listed('nothing/')).toEqual([]);
      });

      it('no longer lists a deleted key; a key put again is listed once', async () => {
        await putAll(KEYS);
        await storage.delete('originals/cd/cd03');
        await storage.delete('renditions/ab/ab01/jpeg-q85-150.jpg');
        await storage.put('originals/ab/ab01', bytes('again'), { contentType: 'image/png' });
        expect(await listed('originals/')).toEqual(['originals/ab/ab01', 'originals/ab/ab02']);
        expect(await listed('renditions/')).toEqual(['renditions/ab/ab01/jpeg-q85-300.jpg']);
      });

      it('can be stopped early, and listed again in full afterwards', async () => {
        const keys = Array.from({ length: 25 }, (_, i) => `originals/${String(i % 5).padStart(2, '0')}/key${i}`);
        await putAll(keys);
        const firstFew: string[] = [];
        for await (const key of storage.list('originals/')) {
          firstFew.push(key);
          if (firstFew.length === 3) break;
        }
        expect(firstFew).toHaveLength(3);
        expect(await listed('originals/')).toEqual([...keys].sort());
      });
    });

    it('keys are used exactly as given: a/b and a_b do not collide', async () => {
      await storage.put('a/b', bytes('slash'), { contentType: 'image/png' });
      await storage.put('a_b', bytes('underscore'), { contentType: 'image/gif' });

      expectSameBytes(await storage.get('a/b'), bytes('slash'));
      expectSameBytes(await storage.get('a_b'), bytes('underscore'));
    });
  });
}
