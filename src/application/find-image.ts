import { ImageNotFoundError } from '../domain/errors.js';
import { ImageId } from '../domain/image-id.js';
import type { Image } from '../domain/image.js';
import type { ImageRepository } from '../ports/image-repository.js';

/** Loads an image by a raw id from the outside; a malformed id is just another unknown id. */
export async function findImage(images: ImageRepository, rawId: string): Promise<Image> {
  const id = ImageId.parse(rawId);
  const image = id ? await images.findById(id.value) : null;
  if (!image) throw new ImageNotFoundError(rawId);
  return image;
}
