import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { InMemoryStorageService } from '../../src/adapters/memory/in-memory-storage-service.js';
import type { ThumbnailSettings } from '../../src/application/settings.js';
import type { Image, ThumbnailState } from '../../src/domain/image.js';
import type { ImagePage, ImageRepository, ListQuery, StaleQuery } from '../../src/ports/image-repository.js';
import type { ImageResizer } from '../../src/ports/image-resizer.js';
import type { ByteRange, StorageService, StoredObjectStream } from '../../src/ports/storage-service.js';
import type { ScheduleOptions, SchedulerStats, TaskHandlers, TaskPayloads, TaskScheduler, TaskType } from '../../src/ports/task-scheduler.js';
import { coreKit } from './core-kit.js';

/** `before`: the call fails and does nothing. `after`: it takes effect, then fails (a lost answer: a commit whose reply never came). */
export type FaultTiming = 'before' | 'after';

/** What fault-injecting adapters throw. */
export class InjectedFault extends Error {
  constructor(readonly operation: string, timing: FaultTiming) {
    super(`injected fault in ${operation}${timing === 'after' ? ' (after it took effect)' : ''}`);
    this.name = 'InjectedFault';
  }
}

interface Rule {
  readonly matches: (operation: string) => boolean;
  readonly decide: () => FaultTiming | null;
}

/**
 * Decides, call by call, which operations of the wrapped adapters fail. Operation names are
 * `storage.put`, `images.update.ready` (an update to that status) and so on; a rule given `images.update`
 * matches every `images.update.*`. The newest matching rule with something to say decides.
 */
export class Faults {
  private rules: Rule[] = [];
  private latency: ((operation: string) => number) | undefined;
  /** Every operation that failed, in order. */
  readonly injected: string[] = [];

  /** The next `times` calls of `operation` fail. */
  failNext(operation: string, times = 1, timing: FaultTiming = 'before'): this {
    let left = times;
    return this.add(operation, () => (left > 0 ? (left--, timing) : null));
  }

  failAlways(operation: string, timing: FaultTiming = 'before'): this {
    return this.add(operation, () => timing);
  }

  /** Each call of a matching operation fails with `probability`, before or after taking effect alike. */
  failRandomly(operations: readonly string[], probability: number, random: () => number): this {
    const matches = (op: string) => operations.some((prefix) => op === prefix || op.startsWith(`${prefix}.`));
    this.rules.push({ matches, decide: () => (random() < probability ? (random() < 0.5 ? 'before' : 'after') : null) });
    return this;
  }

  /**
   * Every call first waits 0 to `maxTurns` turns of the event loop, so that concurrent operations
   * interleave as they do over a network instead of finishing within one turn.
   */
  slowDown(maxTurns: number, random: () => number, options: { except?: readonly string[] } = {}): this {
    const except = options.except ?? [];
    this.latency = (operation) => (except.includes(operation) ? 0 : Math.floor(random() * (maxTurns + 1)));
    return this;
  }

  /** No more faults (nor latency) from now on. */
  heal(): void {
    this.rules = [];
    this.latency = undefined;
  }

  async around<T>(operation: string, work: () => Promise<T>): Promise<T> {
    for (let turns = this.latency?.(operation) ?? 0; turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
    const timing = this.timingOf(operation);
    if (timing === 'before') throw this.record(operation, timing);
    const result = await work();
    if (timing === 'after') throw this.record(operation, timing);
    return result;
  }

  private add(operation: string, decide: () => FaultTiming | null): this {
    this.rules.push({ matches: (op) => op === operation || op.startsWith(`${operation}.`), decide });
    return this;
  }

  private timingOf(operation: string): FaultTiming | null {
    for (const rule of [...this.rules].reverse()) {
      if (!rule.matches(operation)) continue;
      const timing = rule.decide();
      if (timing) return timing;
    }
    return null;
  }

  private record(operation: string, timing: FaultTiming): InjectedFault {
    this.injected.push(operation);
    return new InjectedFault(operation, timing);
  }
}

/** A StorageService that fails when `faults` say so, around a working one. `list` can fail before its first key. */
export class FaultyStorage implements StorageService {
  constructor(
    readonly inner: StorageService,
    readonly faults: Faults,
    private readonly hooks: { beforeDelete?: (key: string) => Promise<void> } = {},
  ) {}

  put(key: string, body: Uint8Array, options: { contentType: string }): Promise<void> {
    return this.faults.around('storage.put', () => this.inner.put(key, body, options));
  }

  get(key: string): Promise<Uint8Array | null> {
    return this.faults.around('storage.get', () => this.inner.get(key));
  }

  getStream(key: string, range?: ByteRange): Promise<StoredObjectStream | null> {
    return this.faults.around('storage.getStream', () => this.inner.getStream(key, range));
  }

  delete(key: string): Promise<void> {
    return this.faults.around('storage.delete', async () => {
      await this.hooks.beforeDelete?.(key);
      await this.inner.delete(key);
    });
  }

  async *list(prefix: string): AsyncIterable<string> {
    await this.faults.around('storage.list', () => Promise.resolve());
    yield* this.inner.list(prefix);
  }
}

/** An ImageRepository that fails when `faults` say so; `updates` keeps every image an update stored. */
export class FaultyImageRepository implements ImageRepository {
  readonly updates: Image[] = [];

  constructor(
    readonly inner: ImageRepository,
    readonly faults: Faults,
  ) {}

  add(image: Image): Promise<void> {
    return this.faults.around('images.add', () => this.inner.add(image));
  }

  findById(id: string): Promise<Image | null> {
    return this.faults.around('images.findById', () => this.inner.findById(id));
  }

  update(image: Image): Promise<Image | null> {
    return this.faults.around(`images.update.${image.thumbnail.status}`, async () => {
      const stored = await this.inner.update(image);
      if (stored) this.updates.push(stored);
      return stored;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.faults.around('images.delete', () => this.inner.delete(id));
  }

  list(query: ListQuery): Promise<ImagePage> {
    return this.faults.around('images.list', () => this.inner.list(query));
  }

  findByChecksum(checksum: string): Promise<Image[]> {
    return this.faults.around('images.findByChecksum', () => this.inner.findByChecksum(checksum));
  }

  findStale(query: StaleQuery): Promise<Image[]> {
    return this.faults.around('images.findStale', () => this.inner.findStale(query));
  }

  /** The lock itself never fails here; the work inside it meets the faults of the calls it makes. */
  withChecksumLock<T>(checksum: string, work: () => Promise<T>): Promise<T> {
    return this.inner.withChecksumLock(checksum, work);
  }
}

/** A TaskScheduler whose schedule() fails when `faults` say so (`scheduler.schedule`); `scheduled` records what it accepted. */
export class FaultyScheduler implements TaskScheduler {
  readonly scheduled: { readonly jobId: string; readonly priority: ScheduleOptions['priority'] }[] = [];

  constructor(
    readonly inner: TaskScheduler,
    readonly faults: Faults,
  ) {}

  schedule<T extends TaskType>(type: T, payload: TaskPayloads[T], options: ScheduleOptions): Promise<void> {
    return this.faults.around('scheduler.schedule', async () => {
      await this.inner.schedule(type, payload, options);
      this.scheduled.push({ jobId: options.jobId, priority: options.priority });
    });
  }

  start(handlers: TaskHandlers): Promise<void> {
    return this.inner.start(handlers);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  stats(): Promise<SchedulerStats> {
    return this.inner.stats();
  }
}

/** Resolves once `scheduler` has nothing waiting, delayed or running; rejects after `timeoutMs`. */
export async function untilIdle(scheduler: TaskScheduler, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { waiting, active, delayed } = await scheduler.stats();
    if (waiting + active + delayed === 0) return;
    if (Date.now() > deadline) throw new Error(`scheduler still busy after ${timeoutMs} ms: ${JSON.stringify({ waiting, active, delayed })}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export interface FaultyKitOptions {
  /** Called by the faulty storage before each delete reaches the wrapped one. */
  beforeDelete?: (key: string) => Promise<void>;
  /** What the faults wrap; in-memory adapters when omitted. */
  storage?: StorageService;
  images?: ImageRepository;
  /** The resizer (not wrapped); the fake one when omitted. */
  resizer?: ImageResizer;
}

/**
 * A kit whose storage, repository and scheduler (in-process, 3 at a time) fail when `faults` say so,
 * around in-memory adapters or the real ones given in `options`; its scheduler is not started.
 */
export function faultyKit(thumbnails: Partial<ThumbnailSettings> = {}, options: FaultyKitOptions = {}) {
  const faults = new Faults();
  const storage = new FaultyStorage(options.storage ?? new InMemoryStorageService(), faults, { beforeDelete: options.beforeDelete });
  const images = new FaultyImageRepository(options.images ?? new InMemoryImageRepository(), faults);
  const scheduler = new FaultyScheduler(new InProcessTaskScheduler({ concurrency: 3 }), faults);
  const resizer = options.resizer;
  const kit = coreKit({ storage, images, scheduler, resizer, thumbnails: { sizes: [150, 300], attempts: 3, backoffMs: 1, ...thumbnails } });
  return { kit, faults, storage, images, scheduler };
}

/** Every thumbnail state the image went through, as the updates that went through stored them. */
export function historyOf(images: FaultyImageRepository, id: string): ThumbnailState[] {
  return images.updates.filter((image) => image.id === id).map((image) => image.thumbnail);
}

/** Every image of the repository, page by page. */
export async function allImages(images: ImageRepository): Promise<Image[]> {
  const all: Image[] = [];
  let cursor: string | null = null;
  do {
    const page = await images.list({ limit: 100, cursor });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** Keys of the image's objects that are missing from storage (read past the faults of a FaultyStorage). */
export async function missingObjects(storage: StorageService, image: Image): Promise<string[]> {
  const inner = storage instanceof FaultyStorage ? storage.inner : storage;
  const missing: string[] = [];
  for (const key of image.storageKeys()) if ((await inner.get(key)) === null) missing.push(key);
  return missing;
}

/** Every key in the wrapped store (read past the faults), sorted. */
export async function storedKeys(storage: FaultyStorage): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of storage.inner.list('')) keys.push(key);
  return keys.sort();
}
