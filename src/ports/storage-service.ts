import type { Readable } from 'node:stream';

export interface StoredObjectStream {
  /** The object's bytes. The caller owns the stream: it must consume it or call `destroy()`. */
  readonly body: Readable;
  readonly size: number;
  readonly contentType: string;
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
  /** A stream of the object, or null when no object has this key. */
  getStream(key: string): Promise<StoredObjectStream | null>;
  /** Removes the object. Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
}

export const StorageService = Symbol.for('imagehost.StorageService');
