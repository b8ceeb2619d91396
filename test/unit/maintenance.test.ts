import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { storageKeys } from '../../src/domain/storage-keys.js';
import { repeat, startMaintenance } from '../../src/wiring/maintenance.js';
import { coreKit } from '../support/core-kit.js';
import { Faults, FaultyImageRepository } from '../support/faults.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('repeat', () => {
  it('runs at once, then intervalMs after each run ends; after stop() never again', async () => {
    let runs = 0;
    const loop = repeat(1000, () => Promise.resolve(void runs++));
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toBe(4);
    await loop.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(4);
  });

  it('never overlaps a slow run; stop() aborts its signal and waits for it', async () => {
    let finish!: () => void;
    let runs = 0;
    let signal: AbortSignal | undefined;
    const loop = repeat(100, (s) => ((signal = s), runs++, new Promise<void>((resolve) => (finish = resolve))));
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    expect(signal?.aborted).toBe(true);
    finish();
    await stopping;
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
  });
});

describe('startMaintenance', () => {
  it('reconciles at start-up and periodically, sweeps, and logs what it did and what failed', async () => {
    const faults = new Faults();
    const kit = coreKit({ images: new FaultyImageRepository(new InMemoryImageRepository(), faults), reconcile: { staleAfterMs: 60_000 } });
    await kit.upload.execute({ bytes: fakeImageBytes('jpeg', 64, 48), filename: 'a.jpg' });
    const orphan = createHash('sha256').update('orphan').digest('hex');
    await kit.storage.put(storageKeys.original(orphan), new Uint8Array([1]), { contentType: 'image/jpeg' });
    kit.clock.advance(60_001);
    faults.failNext('images.findStale');

    const maintenance = startMaintenance(kit.reconcile, kit.sweep, kit.logger, { reconcileIntervalMs: 1000, sweepIntervalMs: 5000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(kit.logger.entries.map((e) => e.message)).toEqual([
      'thumbnail reconciliation failed; trying again at the next interval',
      'deleted orphaned objects',
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(kit.logger.entries.at(-1)).toMatchObject({ message: 'rescheduled thumbnail work that had stalled', fields: { rescheduled: 1 } });
    await maintenance.stop();
  });

  it('never sweeps with a sweep interval of 0', async () => {
    const kit = coreKit();
    const orphan = storageKeys.original(createHash('sha256').update('orphan').digest('hex'));
    await kit.storage.put(orphan, new Uint8Array([1]), { contentType: 'image/jpeg' });
    const maintenance = startMaintenance(kit.reconcile, kit.sweep, kit.logger, { reconcileIntervalMs: 1000, sweepIntervalMs: 0 });
    await vi.advanceTimersByTimeAsync(10_000);
    await maintenance.stop();
    expect(await kit.storage.get(orphan)).not.toBeNull();
  });
});
