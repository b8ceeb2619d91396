import { createHash } from 'node:crypto';
import { DeleteToken } from '../domain/delete-token.js';
import { ImageId } from '../domain/image-id.js';
import { Image, type ImageProps, type Rendition } from '../domain/image.js';
import { storageKeys } from '../domain/storage-keys.js';

type CreateProps = Parameters<typeof Image.create>[0];

/** A freshly uploaded image (pending, version 1) with a new id; override any creation field. */
export function anImage(overrides: Partial<CreateProps> = {}): Image {
  const id = overrides.id ?? ImageId.generate().value;
  const checksum = overrides.checksum ?? createHash('sha256').update(id).digest('hex');
  return Image.create({
    id,
    checksum,
    filename: 'holiday.png',
    format: 'png',
    contentType: 'image/png',
    sizeBytes: 48_213,
    width: 1024,
    height: 768,
    originalKey: storageKeys.original(checksum),
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
        rendition(base.checksum, 150, 113, 5120),
        rendition(base.checksum, 300, 225, 17_001),
      ],
      attempts: 3,
      lastError: 'INVALID_IMAGE',
      nextRetryAt: new Date('2026-03-02T08:31:00.001Z'),
      placeholder: 'YJqGPQZnd4eIh4d3h4eIeHiHeAAAAAAA',
    },
    version: 7,
    ...overrides,
  });
}

function rendition(checksum: string, size: number, height: number, bytes: number): Rendition {
  const key = storageKeys.rendition(checksum, size, 'jpeg', 85);
  return { size, width: size, height, bytes, contentType: 'image/jpeg', key, sha256: createHash('sha256').update(key).digest('hex') };
}
