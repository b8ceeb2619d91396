import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { Image } from '../../src/domain/image.js';
import { anImage } from '../../src/testing/image-builder.js';
import { openDatabase, type Database } from '../../src/adapters/mikro-orm/database.js';
import { MikroOrmImageRepository } from '../../src/adapters/mikro-orm/mikro-orm-image-repository.js';
import { imageRepositoryContract } from '../contracts/image-repository.contract.js';
import { serviceReachable, TEST_POSTGRES_URL } from '../support/real-services.js';
import { scratchLibsql, scratchPostgres, type ScratchDatabase, migratedScratch } from '../support/scratch-databases.js';

const postgresReachable = await serviceReachable('PostgreSQL', TEST_POSTGRES_URL);

const MIGRATIONS = ['Migration20261128000000_create_images', 'Migration20261128010000_create_upload_replays'];
const COLUMNS = [
  'checksum_sha256', 'content_type', 'created_at', 'delete_token_hash', 'filename', 'format', 'height', 'id',
  'original_key', 'placeholder', 'renditions', 'size_bytes', 'thumbnail_attempts', 'thumbnail_last_error', 'thumbnail_next_retry_at',
  'thumbnail_status', 'updated_at', 'version', 'width',
];
const INDEXES = ['images_checksum_sha256_index', 'images_created_at_id_index', 'images_thumbnail_status_updated_at_index'];

async function migratedRepository(scratch: () => Promise<ScratchDatabase>) {
  const { database, close } = await migratedScratch(scratch);
  return { repository: new MikroOrmImageRepository(database.orm), close };
}

imageRepositoryContract('InMemoryImageRepository', () =>
  Promise.resolve({ repository: new InMemoryImageRepository(), close: () => Promise.resolve() }),
);

imageRepositoryContract('MikroOrmImageRepository on libsql', () => migratedRepository(scratchLibsql));

describe.skipIf(!postgresReachable)('PostgreSQL', () => {
  imageRepositoryContract('MikroOrmImageRepository on PostgreSQL', () => migratedRepository(scratchPostgres));
});

describe.each([
  { name: 'libsql', skip: false, scratch: scratchLibsql },
  { name: 'PostgreSQL', skip: !postgresReachable, scratch: scratchPostgres },
])('MikroOrmImageRepository on $name, beyond the contract', ({ skip, scratch }) => {
  it.skipIf(skip)('writes only what transitions change: the props fixed at add stay as added', async () => {
    const { repository, close } = await migratedRepository(scratch);
    try {
      const image = anImage();
      await repository.add(image);
      const next = image.startProcessing(new Date('2026-03-01T12:00:05Z'), 1);
      const tampered = Image.restore({ ...next.props, filename: 'renamed.jpg', checksum: 'f'.repeat(64), createdAt: new Date('2030-01-01T00:00:00Z') });
      expect(await repository.update(tampered)).not.toBeNull();
      const stored = await repository.findById(image.id);
      expect(stored?.props).toEqual({ ...next.props, version: 2 });
    } finally {
      await close();
    }
  });

  it.skipIf(skip)('serves two repositories on one database, each using its statements in its own order', async () => {
    const { database, close } = await migratedScratch(scratch);
    try {
      const first = new MikroOrmImageRepository(database.orm);
      const second = new MikroOrmImageRepository(database.orm);
      const image = anImage();
      await first.add(image);
      expect((await first.findById(image.id))?.id).toBe(image.id);
      const updated = await second.update(image.startProcessing(new Date('2026-03-01T12:00:05Z'), 1));
      expect(updated?.props.version).toBe(2);
      expect((await second.findByChecksum(image.props.checksum)).map((found) => found.props.version)).toEqual([2]);
      expect((await first.findById(image.id))?.props).toEqual(updated?.props);
    } finally {
      await close();
    }
  });

  it.skipIf(skip)('keeps reading and writing after a migration adds a column to images (statements prepared before it)', async () => {
    const { database, close } = await migratedScratch(scratch);
    const repository = new MikroOrmImageRepository(database.orm);
    try {
      const image = anImage();
      await repository.add(image);
      for (let i = 0; i < 5; i++) await repository.findById(image.id);
      await database.orm.em.getConnection().execute('alter table images add column added_later text');
      for (let i = 0; i < 5; i++) expect((await repository.findByChecksum(image.props.checksum)).map((found) => found.id)).toEqual([image.id]);
      expect((await repository.findById(image.id))?.props).toEqual(image.props);
      expect(await repository.update(image.startProcessing(new Date('2026-03-01T12:00:05Z'), 1))).not.toBeNull();
    } finally {
      await close();
    }
  });
});

describe.skipIf(!postgresReachable)('MikroOrmImageRepository on PostgreSQL: the checksum lock', () => {
  /** Two repositories on pools of their own, as two processes would have. */
  async function twoProcesses() {
    const { database, close } = await migratedScratch(scratchPostgres);
    const other = await openDatabase({ url: database.orm.config.get('clientUrl') ?? '' });
    const idleInTransaction = async () => {
      const sql = `select count(*) from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`;
      const rows = (await database.orm.em.getConnection().execute(sql)) as { count: string }[];
      return Number(rows[0]?.count);
    };
    return {
      first: new MikroOrmImageRepository(database.orm),
      second: new MikroOrmImageRepository(other.orm),
      idleInTransaction,
      close: async () => {
        await other.close();
        await close();
      },
    };
  }

  it('keeps a second pool out of the same checksum until the first is done, and lets other checksums through', async () => {
    const { first, second, close } = await twoProcesses();
    try {
      const order: string[] = [];
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const holding = first.withChecksumLock('a'.repeat(64), async () => {
        order.push('first:start');
        await gate;
        order.push('first:end');
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const waiting = second.withChecksumLock('a'.repeat(64), () => Promise.resolve(order.push('second')));
      expect(await second.withChecksumLock('b'.repeat(64), () => Promise.resolve('other'))).toBe('other');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(order).toEqual(['first:start']);
      open();
      await Promise.all([holding, waiting]);
      expect(order).toEqual(['first:start', 'first:end', 'second']);
    } finally {
      await close();
    }
  });

  it('ends its transaction when the work rejects: the error passes on, the lock is free, no connection is left in a transaction', async () => {
    const { first, second, idleInTransaction, close } = await twoProcesses();
    try {
      await expect(first.withChecksumLock('a'.repeat(64), () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await idleInTransaction()).toBe(0);
      expect(await second.withChecksumLock('a'.repeat(64), () => Promise.resolve('after'))).toBe('after');
      expect(await first.withChecksumLock('a'.repeat(64), () => Promise.resolve('again'))).toBe('again');
    } finally {
      await close();
    }
  });
});

interface Dialect {
  readonly name: 'libsql' | 'postgresql';
  readonly skip: boolean;
  readonly scratch: () => Promise<ScratchDatabase>;
  readonly columnsSql: string;
  readonly indexesSql: string;
}

const dialects: Dialect[] = [
  {
    name: 'libsql',
    skip: false,
    scratch: scratchLibsql,
    columnsSql: `select name from pragma_table_info('images')`,
    indexesSql: `select name from sqlite_master where type = 'index' and tbl_name = 'images' and sql is not null`,
  },
  {
    name: 'postgresql',
    skip: !postgresReachable,
    scratch: scratchPostgres,
    columnsSql: `select column_name as name from information_schema.columns where table_schema = 'public' and table_name = 'images'`,
    indexesSql: `select indexname as name from pg_indexes where schemaname = 'public' and tablename = 'images' and indexname <> 'images_pkey'`,
  },
];

for (const dialect of dialects) {
  describe.skipIf(dialect.skip)(`openDatabase on ${dialect.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function open(): Promise<{ target: ScratchDatabase; database: Database }> {
      const target = await dialect.scratch();
      cleanups.push(() => target.drop());
      const database = await openDatabase({ url: target.url });
      cleanups.push(() => database.close());
      return { target, database };
    }

    async function names(database: Database, sql: string): Promise<string[]> {
      const rows = (await database.orm.em.getConnection().execute(sql)) as { name: string }[];
      return rows.map((row) => row.name).sort();
    }

    it('picks the driver from the URL', async () => {
      const { database } = await open();
      expect(database.dialect).toBe(dialect.name);
      expect(database.orm.config.getDriver().constructor.name).toBe(dialect.name === 'libsql' ? 'LibSqlDriver' : 'PostgreSqlDriver');
    });

    it('applies the initial migration once: a second migrate(), even from a new connection, applies nothing', async () => {
      const { target, database } = await open();
      expect(await database.migrate()).toEqual(MIGRATIONS);
      expect(await database.migrate()).toEqual([]);
      const reopened = await openDatabase({ url: target.url });
      cleanups.push(() => reopened.close());
      expect(await reopened.migrate()).toEqual([]);
    });

    it('creates the images table with its columns and indexes', async () => {
      const { database } = await open();
      await database.migrate();
      expect(await names(database, dialect.columnsSql)).toEqual(COLUMNS);
      expect(await names(database, dialect.indexesSql)).toEqual(INDEXES);
    });

    it('leaves no difference between the migrated tables and the entity schema', async () => {
      const { database } = await open();
      await database.migrate();
      const diff = await database.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    });
  });
}

describe('openDatabase on libsql paths', () => {
  it('accepts a plain path and creates its missing parent directories', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imagehost-path-'));
    try {
      const file = join(dir, 'a', 'b', 'images.db');
      const database = await openDatabase({ url: file });
      try {
        expect(await database.migrate()).toEqual(MIGRATIONS);
      } finally {
        await database.close();
      }
      expect(existsSync(file)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens a local file in WAL mode with synchronous=NORMAL, so commits do not fsync on the event loop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imagehost-wal-'));
    const database = await openDatabase({ url: join(dir, 'images.db') });
    try {
      const connection = database.orm.em.getConnection();
      expect(await connection.execute('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await connection.execute('pragma synchronous')).toEqual([{ synchronous: 1 }]);
    } finally {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
