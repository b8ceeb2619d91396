import type { ImageRepository } from '../ports/image-repository.js';
import type { StorageService } from '../ports/storage-service.js';

/**
 * Deletes those of `keys` that no image with this checksum references any more. Objects are shared
 * by every upload of the same bytes, so this is the only way the core deletes them; it holds the
 * checksum's lock so that no writer starts using a key between the check and the delete.
 */
export async function releaseUnreferenced(
  images: ImageRepository,
  storage: StorageService,
  checksum: string,
  keys: readonly string[],
): Promise<void> {
  if (keys.length === 0) return;
  await images.withChecksumLock(checksum, async () => {
    const referenced = new Set((await images.findByChecksum(checksum)).flatMap((image) => image.storageKeys()));
    // Every delete settles before the lock is let go: a late delete must never land after a writer
    // has taken the lock and written the same key again.
    const results = await Promise.allSettled(keys.filter((key) => !referenced.has(key)).map((key) => storage.delete(key)));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  });
}
