import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261128000000_create_images } from './Migration20261128000000_create_images.js';
import { Migration20261128010000_create_upload_replays } from './Migration20261128010000_create_upload_replays.js';

/** Every postgresql migration, oldest first. Append new ones here: there is no directory scan. */
export const postgresqlMigrations: MigrationObject[] = [
  { name: 'Migration20261128000000_create_images', class: Migration20261128000000_create_images },
  { name: 'Migration20261128010000_create_upload_replays', class: Migration20261128010000_create_upload_replays },
];
