import { createHash } from 'node:crypto';
import type multer from '@koa/multer';
import type { Readable } from 'node:stream';

/** What the upload handler finds on `ctx.request.file`. */
export interface ReceivedFile {
  readonly buffer: Buffer;
  readonly size: number;
  /** SHA-256 (hex) computed chunk by chunk while the file streamed in. */
  readonly sha256: string;
  readonly originalname: string;
}

/**
 * A multer storage engine that keeps the file in memory (multer's fileSize limit still cuts it off
 * while streaming) and hashes it on the way in, so the checksum costs no second pass over the bytes.
 */
export const hashingMemoryStorage: multer.StorageEngine = {
  _handleFile(_req, file, callback) {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    // multer hands storage engines the part's stream (not in @koa/multer's typings).
    const { stream } = file as unknown as { stream: Readable };
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.once('error', (error) => callback(error));
    stream.once('end', () => {
      // multer merges these fields into the file object it hands on.
      const received = { buffer: Buffer.concat(chunks, size), size, sha256: hash.digest('hex') };
      callback(null, received as unknown as multer.File);
    });
  },
  _removeFile(_req, file, callback) {
    (file as { buffer?: Buffer }).buffer = undefined;
    callback(null as unknown as Error);
  },
};
