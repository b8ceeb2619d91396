import { InvalidParameterError, ThumbnailNotReadyError } from '../domain/errors.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { StorageService } from '../ports/storage-service.js';
import { storedFile, type StoredFile } from './get-original.js';
import type { ThumbnailSettings } from './settings.js';
import { findImage } from './find-image.js';

/**
 * One rendition of an image (the first configured size when none is asked for).
 * Rejects with ImageNotFoundError, InvalidParameterError (a size that is not configured) or
 * ThumbnailNotReadyError (pending, processing or failed).
 */
export class GetThumbnail {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: StorageService,
    private readonly settings: ThumbnailSettings,
  ) {}

  async execute(id: string, size?: number): Promise<StoredFile> {
    const wanted = size ?? this.defaultSize();
    if (!this.settings.sizes.includes(wanted)) {
      throw new InvalidParameterError('size', `${wanted} is not one of ${this.settings.sizes.join(', ')}`);
    }
    const image = await findImage(this.images, id);
    const rendition = image.rendition(wanted);
    if (!rendition) throw new ThumbnailNotReadyError(id, image.thumbnail.status);
    const { key, bytes, contentType, sha256 } = rendition;
    return storedFile(this.storage, image, key, { size: bytes, contentType, sha256 });
  }

  defaultSize(): number {
    return this.settings.sizes.includes(300) ? 300 : (this.settings.sizes[0] ?? 300);
  }
}
