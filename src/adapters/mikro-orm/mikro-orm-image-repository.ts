import { UniqueConstraintViolationException, type FilterQuery, type MikroORM } from '@mikro-orm/core';
import { Image } from '../../domain/image.js';
import { pageCursor } from '../../domain/page-cursor.js';
import type { ImagePage, ImageRepository, ListQuery, StaleQuery } from '../../ports/image-repository.js';
import { DuplicateImageError } from '../../domain/errors.js';
import { ImageSchema, type ImageRow } from './image-schema.js';
import { toColumns, toImage } from './image-row-mapping.js';
import { KeyedMutex } from '../locking/keyed-mutex.js';
import { ImageStatements } from './image-statements.js';

/**
 * ImageRepository on MikroORM, for PostgreSQL and libsql alike. Every call runs on its own forked
 * EntityManager and issues native queries, so nothing is cached between calls and concurrent
 * writers are arbitrated by the database (`update` is one conditional UPDATE on `version`). The
 * hottest statements (by id, by checksum, the update) skip the query builder: see ImageStatements.
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
  async add(image: Image): Promise<void> {
    try {
      await this.em().insert(ImageSchema, toColumns(image));
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new DuplicateImageError(image.id, { cause: error });
      throw error;
    }
  }

  async findById(id: string): Promise<Image | null> {
    const [row] = await this.statements.select('id', id);
    return row ? toImage(row) : null;
  }

  async update(image: Image): Promise<Image | null> {
    const row = toColumns(image);
    const written = await this.statements.updateIfVersion({ ...row, version: row.version + 1 }, row.version);
    return written ? Image.restore({ ...image.props, version: row.version + 1 }) : null;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.em().nativeDelete(ImageSchema, { id })) > 0;
  }

  async list(query: ListQuery): Promise<ImagePage> {
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

  async findByChecksum(checksum: string): Promise<Image[]> {
    return (await this.statements.select('checksumSha256', checksum)).map(toImage);
  }

  /** Walks images_thumbnail_status_updated_at_index: status, then updated_at in order. */
  async findStale({ statuses, updatedBefore, limit }: StaleQuery): Promise<Image[]> {
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
   * scoped advisory lock that serialises processes. An embedded libsql file belongs to one process.
   */
  withChecksumLock<T>(checksum: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(checksum, async () => {
      if (!this.isPostgres()) return work();
      return this.em().transactional(async (em) => {
        await em.getConnection().execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`imagehost:${checksum}`], 'get');
        return work();
      });
    });
  }

  private isPostgres(): boolean {
    return this.orm.config.get('clientUrl')?.startsWith('postgres') ?? false;
  }

  private em() {
    return this.orm.em.fork();
  }
}
