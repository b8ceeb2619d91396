import type { Image } from '../domain/image.js';
import type { Readable } from 'node:stream';
import type { ImageRepository } from '../ports/image-repository.js';
import type { ByteRange, StorageService } from '../ports/storage-service.js';
import { findImage } from './find-image.js';

/**
 * A stored file described from metadata alone, so a caller can answer conditional and range requests
 * before any byte is read. `open` returns null when the object vanished (the image is being deleted).
 */
export interface StoredFile {
  readonly image: Image;
  readonly size: number;
  readonly contentType: string;
  /** SHA-256 (hex) of the bytes: a strong validator. */
  readonly sha256: string;
  /** The bytes, or `range` of them. The caller owns the stream. */
  open(range?: ByteRange): Promise<Readable | null>;
}

export function storedFile(storage: StorageService, image: Image, key: string, file: Omit<StoredFile, 'image' | 'open'>): StoredFile {
  return {
    image,
    ...file,
    open: async (range) => (await storage.getStream(key, range))?.body ?? null,
  };
}

/** The original bytes of an image, typed by the sniffed format. Rejects with ImageNotFoundError. */
export class GetOriginal {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: StorageService,
  ) {}

  async execute(id: string): Promise<StoredFile> {
    const image = await findImage(this.images, id);
    const { originalKey, sizeBytes, contentType, checksum } = image.props;
    return storedFile(this.storage, image, originalKey, { size: sizeBytes, contentType, sha256: checksum });
  }
}
