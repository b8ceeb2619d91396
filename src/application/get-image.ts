import type { Image } from '../domain/image.js';
import type { ImageRepository } from '../ports/image-repository.js';
import { findImage } from './find-image.js';

/** An image's metadata. Rejects with ImageNotFoundError. */
export class GetImage {
  constructor(private readonly images: ImageRepository) {}

  execute(id: string): Promise<Image> {
    return findImage(this.images, id);
  }
}
