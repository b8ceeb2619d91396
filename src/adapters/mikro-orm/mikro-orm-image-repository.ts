import { UniqueConstraintViolationException, type FilterQuery, type MikroORM } from '@mikro-orm/core';
import { Image } from '../../domain/image.js';
import { pageCursor } from '../../domain/page-cursor.js';
import type { ImagePage, ImageRepository, ListQuery, StaleQuery } from '../../ports/image-repository.js';
import { DuplicateImageError } from '../../domain/errors.js';
import { ImageSchema, type ImageRow } from './image-schema.js';
import { toColumns, toImage } from './image-row-mapping.js';
import { KeyedMutex } from '../locking/keyed-mutex.js';
import { ImageStatements } from './image-statements.js';
import { databaseCall } from './database-errors.js';

/**
 * ImageRepository on MikroORM, for PostgreSQL and libsql alike. Every call runs on its own forked
 * EntityManager and issues native queries, so nothing is cached between calls and concurrent
 * writers are arbitrated by the database (`update` is one conditional UPDATE on `version`). The
 * hottest statements (by id, by checksum, the update) skip the query builder: see ImageStatements.
 * A database that cannot be reached or drops the connection rejects with DatabaseUnavailableError.
 *
 * `orm` must have been opened with ImageSchema registered (see `openDatabase`).
 */
export class MikroOrmImageRepository implements ImageRepository {
  private readonly locks = new KeyedMutex();
  private readonly statements: ImageStatements;

  constructor(private readonly orm: MikroORM) {
    this.statements = new ImageStatements(orm);
  }

  /** Rejects with DuplicateImageError when the id is already stored. */
  add(image: Image): Promise<void> {
    return databaseCall(async () => {
      try {
        await this.em().insert(ImageSchema, toColumns(image));
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) throw new DuplicateImageError(image.id, { cause: error });
        throw error;
      }
    });
  }

  findById(id: string): Promise<Image | null> {
    return databaseCall(async () => {
      const [row] = await this.statements.select('id', id);
      return row ? toImage(row) : null;
    });
  }

  update(image: Image): Promise<Image | null> {
    const row = toColumns(image);
    return databaseCall(async () => {
      const written = await this.statements.updateIfVersion({ ...row, version: row.version + 1 }, row.version);
      return written ? Image.restore({ ...image.props, version: row.version + 1 }) : null;
    });
  }

  delete(id: string): Promise<boolean> {
    return databaseCall(async () => (await this.em().nativeDelete(ImageSchema, { id })) > 0);
  }

  list(query: ListQuery): Promise<ImagePage> {
    return databaseCall(() => this.listPage(query));
  }

  findByChecksum(checksum: string): Promise<Image[]> {
    return databaseCall(async () => (await this.statements.select('checksumSha256', checksum)).map(toImage));
  }

  findStale(query: StaleQuery): Promise<Image[]> {
    return databaseCall(() => this.staleImages(query));
  }

  private async listPage(query: ListQuery): Promise<ImagePage> {
    const after = query.cursor === null ? null : pageCursor.decode(query.cursor);
    const where: FilterQuery<ImageRow> = {
      ...(after ? { $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, id: { $lt: after.id } }] } : {}),
      ...(query.thumbnailStatus === undefined ? {} : { thumbnailStatus: query.thumbnailStatus }),
    };
    // One row more than asked tells whether a next page exists without a count query.
    const rows = await this.em().find(ImageSchema, where, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: query.limit + 1,
      disableIdentityMap: true,
    });
    const items = rows.slice(0, query.limit).map(toImage);
    const last = items.at(-1);
    const nextCursor =
      rows.length > query.limit && last ? pageCursor.encode({ createdAt: last.props.createdAt, id: last.id }) : null;
    return { items, nextCursor };
  }

  /** Walks images_thumbnail_status_updated_at_index: status, then updated_at in order. */
  private async staleImages({ statuses, updatedBefore, limit }: StaleQuery): Promise<Image[]> {
    if (statuses.length === 0) return [];
    const where: FilterQuery<ImageRow> = {
      thumbnailStatus: { $in: [...statuses] },
      updatedAt: { $lt: updatedBefore },
      $or: [{ thumbnailNextRetryAt: null }, { thumbnailNextRetryAt: { $lt: updatedBefore } }],
    };
    const rows = await this.em().find(ImageSchema, where, { orderBy: { updatedAt: 'asc', id: 'asc' }, limit, disableIdentityMap: true });
    return rows.map(toImage);
  }

  /**
   * In-process first (one waiter per checksum holds a connection), then, on PostgreSQL, a transaction-
   * scoped advisory lock that serialises processes (see ImageStatements.inLockedTransaction). An
   * embedded libsql file belongs to one process.
   */
  withChecksumLock<T>(checksum: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(checksum, () => {
      if (!this.isPostgres()) return work();
      return databaseCall(() => this.statements.inLockedTransaction(`imagehost:${checksum}`, work));
    });
  }

  private isPostgres(): boolean {
    return this.orm.config.get('clientUrl')?.startsWith('postgres') ?? false;
  }

  private em() {
    return this.orm.em.fork();
  }
}
