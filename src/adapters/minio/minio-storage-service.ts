import { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { Client, type BucketItem } from 'minio';
import { StorageUnavailableError } from '../../domain/errors.js';
import { withTimeout } from '../time-limit.js';
import type { ByteRange, StorageService, StoredObjectStream } from '../../ports/storage-service.js';

export interface MinioStorageOptions {
  /** Server URL, e.g. `http://127.0.0.1:9000` or `https://s3.eu-west-1.amazonaws.com`. No path. */
  readonly endPoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
  /** `true` for `host/bucket/key` URLs (MinIO, most self-hosted servers), `false` for `bucket.host/key`. */
  readonly pathStyle: boolean;
  /**
   * Longest wait for one operation (for getStream: until the response starts); past it the call rejects
   * with StorageUnavailableError, so a server that stalls cannot hang a job. Default 60 s.
   */
  readonly operationTimeoutMs?: number;
}

const DEFAULT_OPERATION_TIMEOUT_MS = 60_000;

/** S3 answers GET with NoSuchKey and HEAD (no body) with a bare NotFound. */
const MISSING_CODES = new Set(['NoSuchKey', 'NotFound']);

/**
 * A StorageService on MinIO or any S3-compatible server, one bucket, object key = storage key.
 * `NoSuchKey` becomes null; every other driver error (server unreachable, 5xx, access denied, a missing
 * bucket: never an absent object) is rethrown as StorageUnavailableError with the operation and key in
 * its message and the driver error as `cause`.
 * Use {@link MinioStorageService.connect} to create the bucket when it does not exist yet.
 */
export class MinioStorageService implements StorageService {
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;
  private readonly timeoutMs: number;

  /** Builds the client without any network call. */
  constructor(options: MinioStorageOptions) {
    const url = new URL(options.endPoint);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/') {
      throw new Error(`MinIO endPoint must be an http(s) URL without a path, got ${JSON.stringify(options.endPoint)}`);
    }
    const useSSL = url.protocol === 'https:';
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: options.pathStyle,
    });
    this.bucket = options.bucket;
    this.region = options.region;
    this.timeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  }

  /** A service whose bucket is known to exist (created if missing). */
  static async connect(options: MinioStorageOptions): Promise<MinioStorageService> {
    const storage = new MinioStorageService(options);
    await storage.ensureBucket();
    return storage;
  }

  /** Creates the bucket if it does not exist. Safe when another process creates it at the same time. */
  async ensureBucket(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      // Losing a creation race surfaces as BucketAlreadyOwnedByYou or BucketAlreadyExists depending on the
      // server; asking again is the one answer that holds for all of them.
      if (await this.client.bucketExists(this.bucket).catch(() => false)) return;
      throw this.failure('create bucket', undefined, error);
    }
  }

  async put(key: string, body: Uint8Array, options: { contentType: string }): Promise<void> {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    try {
      await withTimeout(this.client.putObject(this.bucket, key, bytes, bytes.length, { 'Content-Type': options.contentType }), this.timeoutMs);
    } catch (error) {
      throw this.failure('put', key, error);
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    let body: Readable | undefined;
    const read = async () => {
      body = await this.client.getObject(this.bucket, key);
      return buffer(body);
    };
    try {
      return await withTimeout(read(), this.timeoutMs);
    } catch (error) {
      body?.destroy();
      if (isMissing(error)) return null;
      throw this.failure('get', key, error);
    }
  }

  async getStream(key: string, range?: ByteRange): Promise<StoredObjectStream | null> {
    let body: Readable;
    try {
      const opening = range
        ? this.client.getPartialObject(this.bucket, key, range.start, range.end - range.start + 1)
        : this.client.getObject(this.bucket, key);
      body = await withTimeout(opening, this.timeoutMs);
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.failure('getStream', key, error);
    }
    // The GET response's own headers describe exactly these bytes, where a separate HEAD could see another
    // version; statObject is only the fallback should the client ever stop handing back the response.
    const headers = body instanceof IncomingMessage ? body.headers : {};
    // A ranged answer gives the whole size after the slash of Content-Range ("bytes 0-99/1234").
    const length = range ? headers['content-range']?.split('/')[1] : headers['content-length'];
    const contentType = headers['content-type'];
    if (length !== undefined && contentType !== undefined) return { body, size: Number(length), contentType };
    try {
      const stat = await this.client.statObject(this.bucket, key);
      return { body, size: stat.size, contentType: String(stat.metaData['content-type'] ?? 'application/octet-stream') };
    } catch (error) {
      body.destroy();
      if (isMissing(error)) return null;
      throw this.failure('getStream', key, error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await withTimeout(this.client.removeObject(this.bucket, key), this.timeoutMs);
    } catch (error) {
      if (!isMissing(error)) throw this.failure('delete', key, error);
    }
  }

  /** ListObjectsV2, a page of up to 1000 keys at a time, fetched as the caller iterates. */
  async *list(prefix: string): AsyncIterable<string> {
    try {
      const items: AsyncIterable<BucketItem> = this.client.listObjectsV2(this.bucket, prefix, true);
      for await (const item of items) {
        if (item.name !== undefined) yield item.name;
      }
    } catch (error) {
      throw this.failure('list', prefix, error);
    }
  }

  private failure(operation: string, key: string | undefined, cause: unknown): StorageUnavailableError {
    const target = key === undefined ? `bucket "${this.bucket}"` : `"${key}" in bucket "${this.bucket}"`;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new StorageUnavailableError(`MinIO ${operation} of ${target} failed: ${reason}`, { cause });
  }
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && MISSING_CODES.has(String(error.code));
}
