import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsStorageService } from '../../src/adapters/fs/fs-storage-service.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * Two puts race into a folder that does not exist yet: one creates it, the other finds it made. The
 * new folder's entry in its parent is durable only once the parent is fsynced; neither put may resolve
 * before that, or a power cut right after could lose the folder and the object a caller was told is
 * stored. The directory fsync is held back here to see who waits for it.
 */
describe('FsStorageService: puts racing into a new folder', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'imagehost-fs-new-folders-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('resolves no put before the new folder is synced into its parent', async () => {
    const store = path.join(root, 'store');
    await mkdir(path.join(store, 'originals'), { recursive: true }); // `originals/ab` is the new folder
    let releaseParent!: () => void;
    const parentSynced = new Promise<void>((resolve) => (releaseParent = resolve));
    const gated = new FsStorageService(store, {
      fsyncDirectory: async (dir) => {
        if (dir === path.join(store, 'originals')) await parentSynced;
      },
    });

    const resolved: string[] = [];
    const puts = ['originals/ab/one', 'originals/ab/two', 'originals/ab/three'].map((key) =>
      gated.put(key, bytes(key), { contentType: 'image/png' }).then(() => resolved.push(key)),
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // every other step of the three puts is done by now

    expect(resolved).toEqual([]);
    releaseParent();
    await Promise.all(puts);
    expect(resolved.sort()).toEqual(['originals/ab/one', 'originals/ab/three', 'originals/ab/two']);
    expect(Buffer.from((await gated.get('originals/ab/two')) ?? []).toString()).toBe('originals/ab/two');
  });

  it('a later put into a folder whose creation is synced syncs only its own folder', async () => {
    const synced: string[] = [];
    const storage = new FsStorageService(path.join(root, 'store'), {
      fsyncDirectory: (dir) => {
        synced.push(path.relative(root, dir));
        return Promise.resolve();
      },
    });
    await storage.put('originals/ab/one', bytes('one'), { contentType: 'image/png' });
    synced.length = 0;

    await storage.put('originals/ab/two', bytes('two'), { contentType: 'image/png' });

    expect(synced).toEqual([path.join('store', 'originals', 'ab')]);
  });
});
