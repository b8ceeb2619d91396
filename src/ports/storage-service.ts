import type { Readable } from 'node:stream';

export interface StoredObjectStream {
  /** The object's bytes (only the requested range, if one was given). The caller owns the stream: it must consume it or call `destroy()`. */
  readonly body: Readable;
  /** The whole object's size in bytes, whether or not a range was asked for. */
  readonly size: number;
  readonly contentType: string;
}

/** Bytes `start` to `end` inclusive (HTTP Range semantics); the caller keeps them inside the object. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where image bytes live (originals and renditions), addressed by opaque keys made by the core
 * (never by user input). Keys are `/`-separated, made of `[A-Za-z0-9._-]` segments.
 */
export interface StorageService {
  /** Stores `body` under `key`, replacing any existing object. Resolves once the object is durable. */
  put(key: string, body: Uint8Array, options: { contentType: string }): Promise<void>;
  /** The whole object, or null when no object has this key. */
  get(key: string): Promise<Uint8Array | null>;
  /** A stream of the object (or of `range` of it), or null when no object has this key. */
  getStream(key: string, range?: ByteRange): Promise<StoredObjectStream | null>;
  /** Removes the object. Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Every key that starts with `prefix` (`''` for all), each once, in no particular order, fetched
   * lazily so that a huge store is never held in memory. The listing is not a snapshot: a key put or
   * deleted while it runs may or may not appear, one stored throughout appears exactly once. Only
   * objects are listed (never folders, nor an adapter's own temporary files). Iteration rejects when
   * the store fails; stopping early (`break`) releases whatever the listing holds.
   */
  list(prefix: string): AsyncIterable<string>;
}

export const StorageService = Symbol.for('imagehost.StorageService');
