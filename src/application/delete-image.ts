import { DeleteToken } from '../domain/delete-token.js';
import { ImageNotFoundError, InvalidDeleteTokenError } from '../domain/errors.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { StorageService } from '../ports/storage-service.js';
import { findImage } from './find-image.js';

/**
 * Deletes an image, its original and every rendition, given its delete token.
 * Rejects with ImageNotFoundError (also when a concurrent delete won) or InvalidDeleteTokenError.
 */
export class DeleteImage {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: StorageService,
  ) {}

  async execute(id: string, deleteToken: string | undefined): Promise<void> {
    const image = await findImage(this.images, id);
    if (!DeleteToken.matches(deleteToken, image.props.deleteTokenHash)) throw new InvalidDeleteTokenError();
    // The row goes first: once it is gone nothing serves or references the objects.
    if (!(await this.images.delete(image.id))) throw new ImageNotFoundError(id);
    await Promise.all(image.storageKeys().map((key) => this.storage.delete(key)));
  }
}
