import { describe, expect, it } from 'vitest';
import { DirectorySyncs } from '../../src/adapters/fs/directory-syncs.js';

/** An fsync stand-in that records each call and finishes only when told to. */
function controlledFsync() {
  const calls: { dir: string; finish: (error?: Error) => void }[] = [];
  const fsync = (dir: string) =>
    new Promise<void>((resolve, reject) => calls.push({ dir, finish: (error) => (error ? reject(error) : resolve()) }));
  return { calls, fsync };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('DirectorySyncs', () => {
  it('lets callers that ask before a sync starts share it', async () => {
    const { calls, fsync } = controlledFsync();
    const syncs = new DirectorySyncs(fsync);
    const all = Promise.all([syncs.sync('/a'), syncs.sync('/a'), syncs.sync('/a')]);
    await turn();
    expect(calls.map((c) => c.dir)).toEqual(['/a']);
    calls[0]!.finish();
    await all;
  });

  it('gives a caller who asks while a sync runs a new sync, started after the running one ends', async () => {
    const { calls, fsync } = controlledFsync();
    const syncs = new DirectorySyncs(fsync);
    let firstDone = false;
    const first = syncs.sync('/a').then(() => (firstDone = true));
    await turn();
    let laterDone = false;
    const later = [syncs.sync('/a'), syncs.sync('/a')].map((p) => p.then(() => (laterDone = true)));
    await turn();
    expect(calls).toHaveLength(1); // the second waits for the first to end
    calls[0]!.finish();
    await first;
    await turn();
    expect([firstDone, laterDone, calls.length]).toEqual([true, false, 2]);
    calls[1]!.finish();
    await Promise.all(later);
    expect(laterDone).toBe(true);
  });

  it('keeps directories apart, and passes a failed fsync to its callers only', async () => {
    const { calls, fsync } = controlledFsync();
    const syncs = new DirectorySyncs(fsync);
    const a = syncs.sync('/a');
    const b = syncs.sync('/b');
    await turn();
    expect(calls.map((c) => c.dir)).toEqual(['/a', '/b']);
    calls[0]!.finish(new Error('EIO'));
    calls[1]!.finish();
    await expect(a).rejects.toThrow('EIO');
    await expect(b).resolves.toBeUndefined();
    const again = syncs.sync('/a');
    await turn();
    calls[2]!.finish();
    await expect(again).resolves.toBeUndefined();
  });
});
