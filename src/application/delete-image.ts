import { DeleteToken } from '../domain/delete-token.js';
import { ImageNotFoundError, InvalidDeleteTokenError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { ImageEvents } from '../ports/image-events.js';
import type { ImageRepository } from '../ports/image-repository.js';
import type { StorageService } from '../ports/storage-service.js';
import { announce } from './announce.js';
import { findImage } from './find-image.js';
import { releaseUnreferenced } from './shared-objects.js';

/**
 * Deletes an image, its original and every rendition, given its delete token.
 * Rejects with ImageNotFoundError (also when a concurrent delete won) or InvalidDeleteTokenError.
 */
export class DeleteImage {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: StorageService,
    private readonly events: ImageEvents,
    private readonly clock: Clock,
  ) {}

  async execute(id: string, deleteToken: string | undefined): Promise<void> {
    const image = await findImage(this.images, id);
    if (!DeleteToken.matches(deleteToken, image.props.deleteTokenHash)) throw new InvalidDeleteTokenError();
    // The row goes first: once it is gone nothing serves it. Its objects go only if no other upload
    // of the same bytes still uses them.
    if (!(await this.images.delete(image.id))) throw new ImageNotFoundError(id);
    await releaseUnreferenced(this.images, this.storage, image.props.checksum, image.storageKeys());
    await announce(this.events, { type: 'image.deleted', imageId: image.id, at: this.clock.now().toISOString() });
  }
}
