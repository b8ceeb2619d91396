import type { ImageRepository } from '../ports/image-repository.js';
import type { StorageService } from '../ports/storage-service.js';
import { releaseUnreferenced } from './shared-objects.js';

export interface SweepResult {
  /** Keys looked at in this run. */
  readonly examined: number;
  /** Objects no image referenced, deleted by this run. */
  readonly deleted: number;
  /** Keys that are no content address of ours (`originals/<xx>/<sha>`, `renditions/<xx>/<sha>/<file>`): left alone. */
  readonly ignored: number;
  /** True when the run reached the end of the listing; false when it stopped early, at `maxKeys` or when aborted (the next run goes on). */
  readonly finished: boolean;
}

const PREFIXES = ['originals/', 'renditions/'] as const;
/** The shapes storageKeys makes (src/domain/storage-keys.ts): a folder of the checksum's first two digits, then the checksum. */
const ORIGINAL = /^originals\/([0-9a-f]{2})\/([0-9a-f]{64})$/;
const RENDITION = /^renditions\/([0-9a-f]{2})\/([0-9a-f]{64})\/[A-Za-z0-9._-]+$/;
/** Keys checked per round of repository reads. */
const BATCH = 100;

/**
 * Finds objects that no image references any more and deletes them: what a crash, or a storage
 * failure, left behind between an object's write and its row (or between a row's delete and its
 * objects'). Keys are content addresses, so an object is an orphan exactly when no image with the
 * checksum in its key lists that key among its storage keys.
 *
 * Deleting goes through releaseUnreferenced, under the checksum's lock, as uploads, jobs and deletes
 * do: those write an object and record the row that references it inside one hold of that lock, so
 * no object the sweep may see unreferenced there is about to be referenced. No minimum age is needed.
 *
 * A run looks at no more than `maxKeys` keys, and stops after the key in hand once `signal` is
 * aborted (a shutdown need not wait for a whole run); the next run continues the same listing where
 * this one stopped, and a new listing starts once one is exhausted. Runs of one instance never
 * overlap: a call during a run gets that run's result.
 */
export class SweepOrphans {
  private listing: AsyncIterator<string> | undefined;
  private running: Promise<SweepResult> | undefined;

  constructor(
    private readonly images: ImageRepository,
    private readonly storage: StorageService,
    private readonly options: { readonly maxKeys: number },
  ) {}

  execute(signal?: AbortSignal): Promise<SweepResult> {
    return (this.running ??= this.sweep(signal).finally(() => (this.running = undefined)));
  }

  private async sweep(signal: AbortSignal | undefined): Promise<SweepResult> {
    const listing = (this.listing ??= this.allKeys()[Symbol.asyncIterator]());
    const deleted: string[] = [];
    let examined = 0;
    let ignored = 0;
    let finished = false;
    let batch: string[] = [];
    try {
      while (examined < this.options.maxKeys && !signal?.aborted) {
        const next = await listing.next();
        if (next.done) {
          finished = true;
          break;
        }
        examined++;
        if (checksumOf(next.value) === null) ignored++;
        else batch.push(next.value);
        if (batch.length === BATCH) {
          await this.release(batch, deleted);
          batch = [];
        }
      }
      await this.release(batch, deleted);
    } catch (error) {
      // Start afresh next time, and let go of whatever the listing holds (open folders, a buffered page).
      this.listing = undefined;
      await listing.return?.().catch(() => undefined);
      throw error;
    }
    if (finished) this.listing = undefined;
    return { examined, deleted: deleted.length, ignored, finished };
  }

  private async *allKeys(): AsyncGenerator<string> {
    for (const prefix of PREFIXES) yield* this.storage.list(prefix);
  }

  /** Settles every key of the batch, even once aborted: the listing has moved past them. */
  private async release(keys: readonly string[], deleted: string[]): Promise<void> {
    const byChecksum = new Map<string, string[]>();
    for (const key of keys) {
      const checksum = checksumOf(key)!;
      byChecksum.set(checksum, [...(byChecksum.get(checksum) ?? []), key]);
    }
    for (const [checksum, group] of byChecksum) {
      // Nearly every object is in use: a plain read settles those without taking the lock. Only the
      // others go to releaseUnreferenced, which looks again under the lock before deleting anything.
      const referenced = new Set((await this.images.findByChecksum(checksum)).flatMap((image) => image.storageKeys()));
      for (const key of group.filter((candidate) => !referenced.has(candidate))) {
        // One key per hold of the lock: the hold then ends only once its delete has settled, so no
        // delete still in flight can land after a writer has taken the lock and reused the key.
        await releaseUnreferenced(this.images, noting(this.storage, deleted), checksum, [key]);
      }
    }
  }
}

/** The checksum a content-addressed key belongs to, or null for any other key. */
function checksumOf(key: string): string | null {
  const [, folder, checksum] = ORIGINAL.exec(key) ?? RENDITION.exec(key) ?? [];
  return folder && checksum?.startsWith(folder) ? checksum : null;
}

/** The storage as releaseUnreferenced uses it, noting each key it deletes (it reports none itself). */
function noting(storage: StorageService, deleted: string[]): StorageService {
  return {
    put: (key, body, options) => storage.put(key, body, options),
    get: (key) => storage.get(key),
    getStream: (key, range) => storage.getStream(key, range),
    list: (prefix) => storage.list(prefix),
    delete: async (key) => {
      await storage.delete(key);
      deleted.push(key);
    },
  };
}
