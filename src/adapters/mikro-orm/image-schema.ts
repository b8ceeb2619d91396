import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { Rendition } from '../../domain/image.js';

/** One row of the `images` table, as MikroORM reads and writes it (columns are the snake_case of these names). */
export interface ImageRow {
  id: string;
  filename: string;
  format: string;
  contentType: string;
  sizeBytes: number;
  width: number;
  height: number;
  originalKey: string;
  deleteTokenHash: string;
  checksumSha256: string;
  createdAt: Date;
  updatedAt: Date;
  thumbnailStatus: string;
  thumbnailAttempts: number;
  thumbnailLastError: string | null;
  thumbnailNextRetryAt: Date | null;
  renditions: Rendition[];
  placeholder: string | null;
  version: number;
}

/**
 * Decorator-free mapping of ImageRow. The migrations, not this schema, create the table; this schema
 * describes the same table so that MikroORM's schema generator can diff it for future migrations.
 */
export const ImageSchema = new EntitySchema<ImageRow>({
  name: 'ImageRow',
  tableName: 'images',
  properties: {
    id: { type: 'string', length: 64, primary: true },
    filename: { type: 'text' },
    format: { type: 'string', length: 16 },
    contentType: { type: 'string', length: 100 },
    sizeBytes: { type: new BigIntType('number') },
    width: { type: 'integer' },
    height: { type: 'integer' },
    originalKey: { type: 'string', length: 255 },
    deleteTokenHash: { type: 'string', length: 64 },
    checksumSha256: { type: 'string', length: 64, index: 'images_checksum_sha256_index' },
    createdAt: { type: 'datetime', length: 3 },
    updatedAt: { type: 'datetime', length: 3 },
    thumbnailStatus: { type: 'string', length: 16 },
    thumbnailAttempts: { type: 'integer' },
    thumbnailLastError: { type: 'text', nullable: true },
    thumbnailNextRetryAt: { type: 'datetime', length: 3, nullable: true },
    renditions: { type: 'json' },
    placeholder: { type: 'string', length: 64, nullable: true },
    version: { type: 'integer' },
  },
  indexes: [
    // Newest-first keyset listing walks this index in order.
    { name: 'images_created_at_id_index', properties: ['createdAt', 'id'], expression: 'create index "images_created_at_id_index" on "images" ("created_at" desc, "id" desc)' },
    // For the stale-pending scan (status = pending and updated_at older than a threshold).
    { name: 'images_thumbnail_status_updated_at_index', properties: ['thumbnailStatus', 'updatedAt'] },
  ],
});
