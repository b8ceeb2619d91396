import { Readable } from 'node:stream';
import type { ByteRange, StorageService, StoredObjectStream } from '../../ports/storage-service.js';

interface StoredObject {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

/**
 * A StorageService held in process memory, for tests and library users' own tests. It passes the same
 * contract suite as the real adapters. Bytes are copied on the way in and out, so callers can never
 * mutate what is stored.
 */
export class InMemoryStorageService implements StorageService {
  private readonly objects = new Map<string, StoredObject>();

  put(key: string, body: Uint8Array, options: { contentType: string }): Promise<void> {
    this.objects.set(key, { bytes: new Uint8Array(body), contentType: options.contentType });
    return Promise.resolve();
  }

  get(key: string): Promise<Uint8Array | null> {
    const stored = this.objects.get(key);
    return Promise.resolve(stored ? new Uint8Array(stored.bytes) : null);
  }

  getStream(key: string, range?: ByteRange): Promise<StoredObjectStream | null> {
    const stored = this.objects.get(key);
    if (!stored) return Promise.resolve(null);
    const bytes = range ? stored.bytes.subarray(range.start, range.end + 1) : stored.bytes;
    // A byte stream (not object mode), like a file or HTTP body, so consumers see the same shape.
    const chunks = bytes.byteLength > 0 ? [Buffer.from(bytes)] : [];
    return Promise.resolve({
      body: Readable.from(chunks, { objectMode: false }),
      size: stored.bytes.byteLength,
      contentType: stored.contentType,
    });
  }

  delete(key: string): Promise<void> {
    this.objects.delete(key);
    return Promise.resolve();
  }

  /** Lists the keys present when iteration starts (a snapshot, which the port allows). */
  // eslint-disable-next-line @typescript-eslint/require-await -- asynchronous like every real listing, with nothing to wait for
  async *list(prefix: string): AsyncIterable<string> {
    for (const key of [...this.objects.keys()]) {
      if (key.startsWith(prefix)) yield key;
    }
  }
}
