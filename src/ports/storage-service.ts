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
}

export const StorageService = Symbol.for('imagehost.StorageService');
