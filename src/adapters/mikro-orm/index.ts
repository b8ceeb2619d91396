/**
 * `imagehost/adapters/mikro-orm`: image metadata and upload replays in PostgreSQL or libsql.
 * `openDatabase` picks the driver from the URL; `migrate()` creates and updates the tables.
 */
export { openDatabase, type Database, type DatabaseOptions } from './database.js';
export { MikroOrmImageRepository } from './mikro-orm-image-repository.js';
export { MikroOrmUploadReplays } from './mikro-orm-upload-replays.js';
