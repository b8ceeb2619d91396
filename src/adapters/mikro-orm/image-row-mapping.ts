import type { ImageFormat } from '../../domain/image-format.js';
import { Image, type ThumbnailStatus } from '../../domain/image.js';
import type { ImageRow } from './image-schema.js';

export type ImageColumns = ImageRow;

export function toColumns(image: Image): ImageColumns {
  const { thumbnail, ...props } = image.props;
  return {
    id: props.id,
    filename: props.filename,
    format: props.format,
    contentType: props.contentType,
    sizeBytes: props.sizeBytes,
    checksumSha256: props.checksum,
    width: props.width,
    height: props.height,
    originalKey: props.originalKey,
    deleteTokenHash: props.deleteTokenHash,
    createdAt: props.createdAt,
    updatedAt: props.updatedAt,
    thumbnailStatus: thumbnail.status,
    thumbnailAttempts: thumbnail.attempts,
    thumbnailLastError: thumbnail.lastError,
    thumbnailNextRetryAt: thumbnail.nextRetryAt,
    renditions: [...thumbnail.renditions],
    placeholder: thumbnail.placeholder,
    version: props.version,
  };
}

export function toImage(row: ImageColumns): Image {
  return Image.restore({
    id: row.id,
    filename: row.filename,
    // Only this adapter writes these columns, from values the domain already validated.
    format: row.format as ImageFormat,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    checksum: row.checksumSha256,
    width: row.width,
    height: row.height,
    originalKey: row.originalKey,
    deleteTokenHash: row.deleteTokenHash,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    thumbnail: {
      status: row.thumbnailStatus as ThumbnailStatus,
      renditions: row.renditions.map((r) => ({ ...r })),
      attempts: row.thumbnailAttempts,
      lastError: row.thumbnailLastError,
      nextRetryAt: row.thumbnailNextRetryAt,
      placeholder: row.placeholder,
    },
    version: row.version,
  });
}
