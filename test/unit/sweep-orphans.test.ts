import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { InMemoryStorageService } from '../../src/adapters/memory/in-memory-storage-service.js';
import { storageKeys } from '../../src/domain/storage-keys.js';
import type { Image } from '../../src/domain/image.js';
import type { StorageService } from '../../src/ports/storage-service.js';
import { coreKit, jobContext } from '../support/core-kit.js';
import { Faults, FaultyImageRepository, FaultyStorage } from '../support/faults.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const stored = (text = 'x') => [new TextEncoder().encode(text), { contentType: 'image/jpeg' }] as const;

async function keysIn(storage: StorageService): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of storage.list('')) keys.push(key);
  return keys.sort();
}

async function readyImage(kit: ReturnType<typeof coreKit>, width = 640): Promise<Image> {
  const { image } = await kit.upload.execute({ bytes: fakeImageBytes('jpeg', width, 480), filename: 'p.jpg' });
  await kit.generate.execute(image.id, jobContext());
  return (await kit.images.findById(image.id))!;
}

describe('SweepOrphans', () => {
  it('deletes the objects no image references and keeps every referenced one', async () => {
    const kit = coreKit({ thumbnails: { sizes: [150, 300] } });
    const ready = await readyImage(kit);
    const pending = (await kit.upload.execute({ bytes: fakeImageBytes('png', 10, 10), filename: 'q.png' })).image;
    const lost = sha('an upload whose row never landed');
    const orphans = [
      storageKeys.original(lost),
      storageKeys.rendition(lost, 300, 'jpeg', 85),
      // A size no longer configured, of bytes still in use: nobody references it.
      storageKeys.rendition(ready.props.checksum, 999, 'jpeg', 85),
    ];
    for (const key of orphans) await kit.storage.put(key, ...stored());
    const strays = ['originals/zz/not-a-checksum', `renditions/${lost.slice(0, 2)}/${lost}`, 'readiness/probe'];
    for (const key of strays) await kit.storage.put(key, ...stored());
    const referenced = [...ready.storageKeys(), ...pending.storageKeys()];

    const result = await kit.sweep.execute();

    expect(result).toEqual({ examined: 9, deleted: 3, ignored: 2, finished: true });
    expect(await keysIn(kit.storage)).toEqual([...referenced, ...strays].sort());
  });

  it('collects what a delete left behind when storage failed after the row was gone', async () => {
    const faults = new Faults();
    const kit = coreKit({ storage: new FaultyStorage(new InMemoryStorageService(), faults) });
    const { image, deleteToken } = await kit.upload.execute({ bytes: fakeImageBytes('jpeg', 640, 480), filename: 'p.jpg' });
    await kit.generate.execute(image.id, jobContext());
    faults.failAlways('storage.delete');
    await expect(kit.deleteImage.execute(image.id, deleteToken)).rejects.toThrow(/injected fault/);
    expect(await kit.images.findById(image.id)).toBeNull();
    expect(await keysIn(kit.storage)).toHaveLength(2);

    faults.heal();
    expect(await kit.sweep.execute()).toMatchObject({ examined: 2, deleted: 2 });
    expect(await keysIn(kit.storage)).toEqual([]);
  });

  it('keeps the original of an upload in flight: the upload holds the checksum lock from its put to its row', async () => {
    const faults = new Faults();
    const images = new FaultyImageRepository(new InMemoryImageRepository(), faults);
    const kit = coreKit({ images });
    // The upload stops between writing its original and inserting its row, inside the lock.
    let resumeAdd!: () => void;
    let addStarted!: () => void;
    const started = new Promise<void>((resolve) => (addStarted = resolve));
    const add = images.add.bind(images);
    const lock = images.withChecksumLock.bind(images);
    let lockRequests = 0;
    images.withChecksumLock = (checksum, work) => (lockRequests++, lock(checksum, work));
    images.add = async (image) => {
      addStarted();
      await new Promise<void>((resolve) => (resumeAdd = resolve));
      return add(image);
    };
    const upload = kit.upload.execute({ bytes: fakeImageBytes('jpeg', 640, 480), filename: 'p.jpg' });
    await started;

    const sweep = kit.sweep.execute(); // lists the original, sees no row, then waits for the lock
    await new Promise((resolve) => setImmediate(resolve));
    expect(lockRequests).toBe(2); // the upload holds the lock; the sweep waits for it
    resumeAdd();
    const { image } = await upload;

    expect(await sweep).toMatchObject({ examined: 1, deleted: 0 });
    expect(await kit.storage.get(image.props.originalKey)).not.toBeNull();
  });

  it('looks at no more than maxKeys keys per run; the next run goes on where the last one stopped', async () => {
    const kit = coreKit({ sweep: { maxKeys: 10 } });
    const kept = await readyImage(kit);
    for (let i = 0; i < 23; i++) await kit.storage.put(storageKeys.original(sha(`orphan ${i}`)), ...stored());

    const runs = [await kit.sweep.execute(), await kit.sweep.execute(), await kit.sweep.execute()];

    expect(runs.map((r) => [r.examined, r.finished])).toEqual([[10, false], [10, false], [5, true]]);
    expect(runs.reduce((sum, r) => sum + r.deleted, 0)).toBe(23);
    expect(await keysIn(kit.storage)).toEqual(kept.storageKeys().sort());
    expect(await kit.sweep.execute()).toEqual({ examined: 2, deleted: 0, ignored: 0, finished: true });
  });

  it('stops early once its signal is aborted, and the next run goes on from there', async () => {
    const kit = coreKit();
    for (let i = 0; i < 5; i++) await kit.storage.put(storageKeys.original(sha(`orphan ${i}`)), ...stored());
    const aborted = AbortSignal.abort();
    expect(await kit.sweep.execute(aborted)).toEqual({ examined: 0, deleted: 0, ignored: 0, finished: false });
    expect(await kit.sweep.execute()).toEqual({ examined: 5, deleted: 5, ignored: 0, finished: true });
  });

  it('gives a call made during a run that run, never a second one alongside', async () => {
    const kit = coreKit();
    await kit.storage.put(storageKeys.original(sha('orphan')), ...stored());
    const [first, second] = [kit.sweep.execute(), kit.sweep.execute()];
    expect(second).toBe(first);
    expect(await first).toMatchObject({ deleted: 1 });
  });

  it('a run that fails (listing or database) rejects, and the next run starts afresh', async () => {
    const faults = new Faults();
    const storage = new FaultyStorage(new InMemoryStorageService(), faults);
    const images = new FaultyImageRepository(new InMemoryImageRepository(), faults);
    const kit = coreKit({ storage, images, sweep: { maxKeys: 100 } });
    for (let i = 0; i < 3; i++) await kit.storage.put(storageKeys.original(sha(`orphan ${i}`)), ...stored());

    faults.failNext('storage.list');
    await expect(kit.sweep.execute()).rejects.toThrow(/storage\.list/);
    faults.failNext('images.findByChecksum');
    await expect(kit.sweep.execute()).rejects.toThrow(/images\.findByChecksum/);
    expect(await kit.sweep.execute()).toEqual({ examined: 3, deleted: 3, ignored: 0, finished: true });
  });
});
