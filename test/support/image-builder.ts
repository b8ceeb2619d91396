import { DeleteToken } from '../../src/domain/delete-token.js';
import { ImageId } from '../../src/domain/image-id.js';
import { Image, type ImageProps } from '../../src/domain/image.js';
import { storageKeys } from '../../src/domain/storage-keys.js';

type CreateProps = Parameters<typeof Image.create>[0];

/** A freshly uploaded image (pending, version 1) with a new id; override any creation field. */
export function anImage(overrides: Partial<CreateProps> = {}): Image {
  const id = overrides.id ?? ImageId.generate().value;
  return Image.create({
    id,
    filename: 'holiday.png',
    format: 'png',
    contentType: 'image/png',
    sizeBytes: 48_213,
    width: 1024,
    height: 768,
    originalKey: storageKeys.original(id),
    deleteTokenHash: DeleteToken.generate().hash,
    createdAt: new Date('2026-03-01T12:00:00.123Z'),
    ...overrides,
  });
}

/** An image in a late state: every field set, nothing null, renditions stored, version past 1. */
export function aProcessedImage(overrides: Partial<ImageProps> = {}): Image {
  const base = anImage({ format: 'webp', contentType: 'image/webp', filename: 'Ünïcødé 🐈 name.webp' }).props;
  return Image.restore({
    ...base,
    sizeBytes: 3_000_000_000, // above 2^31: must survive a 32-bit column
    updatedAt: new Date('2026-03-02T08:30:00.999Z'),
    thumbnail: {
      status: 'pending',
      renditions: [
        { size: 150, width: 150, height: 113, bytes: 5120, contentType: 'image/jpeg', key: storageKeys.rendition(base.id, 150, 'jpg') },
        { size: 300, width: 300, height: 225, bytes: 17_001, contentType: 'image/jpeg', key: storageKeys.rendition(base.id, 300, 'jpg') },
      ],
      attempts: 3,
      lastError: 'INVALID_IMAGE',
      nextRetryAt: new Date('2026-03-02T08:31:00.001Z'),
    },
    version: 7,
    ...overrides,
  });
}
