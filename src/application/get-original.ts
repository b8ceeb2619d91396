import { ImageNotFoundError } from '../domain/errors.js';
import type { Image } from '../domain/image.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { StorageService, StoredObjectStream } from '../ports/storage-service.js';
import { findImage } from './find-image.js';

export interface ImageFile {
  readonly image: Image;
  /** The caller owns the stream. */
  readonly file: StoredObjectStream;
}

/** The original bytes of an image, typed by the sniffed format. Rejects with ImageNotFoundError. */
export class GetOriginal {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: StorageService,
  ) {}

  async execute(id: string): Promise<ImageFile> {
    const image = await findImage(this.images, id);
    const file = await this.storage.getStream(image.props.originalKey);
    // A row without its object is an image being deleted right now.
    if (!file) throw new ImageNotFoundError(id);
    return { image, file: { ...file, contentType: image.props.contentType } };
  }
}
