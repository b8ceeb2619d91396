import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MikroORM, Options } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import { ImageSchema } from './image-schema.js';
import { libsqlMigrations } from './migrations/libsql/index.js';
import { postgresqlMigrations } from './migrations/postgresql/index.js';
import { UploadReplaySchema } from './upload-replay-schema.js';

export interface DatabaseOptions {
  /**
   * `postgres://…` or `postgresql://…` for PostgreSQL; `file:…`, a plain path or `libsql://…` for
   * libsql (an embedded file, whose parent directory is created when missing).
   */
  readonly url: string;
  /** Logs every query MikroORM runs (on libsql, all but the image statements, which ImageStatements runs on the driver itself). */
  readonly debug?: boolean;
}

/** An open connection pool with the image mapping registered, and this dialect's migrations. */
export interface Database {
  readonly orm: MikroORM;
  readonly dialect: 'postgresql' | 'libsql';
  /** Applies pending migrations; resolves with the names applied (empty when already up to date). */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** Closes the pool. */
  close(): Promise<void>;
}

/**
 * Opens the database named by `url`, picking the driver from its scheme. Does not create tables:
 * call `migrate()` (at start-up, or from a deploy step) for that.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const common = {
    entities: [ImageSchema, UploadReplaySchema],
    debug: options.debug ?? false,
    // The database itself is provisioned by the operator; only its tables are ours to create.
    ensureDatabase: false,
    extensions: [Migrator],
  } satisfies Options;
  const dialect = isPostgresUrl(options.url) ? 'postgresql' : 'libsql';
  // Loaded on demand so that a libsql deployment never loads the PostgreSQL driver, and vice versa.
  const orm = dialect === 'postgresql' ? await openPostgres(options.url, common) : await openLibsql(options.url, common);
  return {
    orm,
    dialect,
    async migrate() {
      const up = async () => (await orm.getMigrator().up()).map((migration) => migration.name);
      return dialect === 'postgresql' ? withMigrationLock(orm, up) : up();
    },
    async ping() {
      await orm.em.getConnection().execute('select 1');
    },
    close: () => orm.close(),
  };
}

/**
 * Several processes starting at once against a new database (API replicas with MIGRATE_ON_START)
 * would each create the migrations table and run the same migrations, and all but one would fail.
 * A transaction-scoped advisory lock, held on a connection of its own while the migrator works on
 * others, lets one migrate at a time; the next finds nothing left to do. (A libsql file belongs to one process.)
 */
async function withMigrationLock<T>(orm: MikroORM, work: () => Promise<T>): Promise<T> {
  const knex = (orm.em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', ['imagehost:migrations']);
    return work();
  });
}

type CommonOptions = Pick<Options, 'entities' | 'debug' | 'ensureDatabase' | 'extensions'>;

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

async function openPostgres(url: string, common: CommonOptions): Promise<MikroORM> {
  const { MikroORM } = await import('@mikro-orm/postgresql');
  return MikroORM.init({
    ...common,
    clientUrl: url,
    migrations: migrationOptions(postgresqlMigrations),
  });
}

async function openLibsql(url: string, common: CommonOptions): Promise<MikroORM> {
  const { MikroORM } = await import('@mikro-orm/libsql');
  const dbName = libsqlTarget(url);
  const local = !dbName.startsWith('libsql:') && dbName !== ':memory:';
  if (local) await mkdir(dirname(dbName), { recursive: true });
  return MikroORM.init({
    ...common,
    dbName,
    migrations: migrationOptions(libsqlMigrations),
    // The driver runs every statement on the event loop, so each commit's fsyncs stalled the whole
    // process (rollback journal: ~2.7 ms per write under load). WAL with synchronous=NORMAL commits by
    // appending to the log and syncs at checkpoints, the setting Rails and Litestream recommend: a killed
    // process loses nothing; a power cut or OS crash can roll back the last commits (for that, use
    // PostgreSQL). Set on every connection the pool opens: MikroORM's libsql pool replaces them every 10 s.
    ...(local && { pool: { afterCreate: applyPragmas } }),
  });
}

const LOCAL_PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'busy_timeout = 5000'];

function applyPragmas(connection: { exec(sql: string): unknown }, done: (error: Error | null, connection: unknown) => void): void {
  try {
    for (const pragma of LOCAL_PRAGMAS) connection.exec(`pragma ${pragma}`);
    done(null, connection);
  } catch (error) {
    done(error as Error, connection);
  }
}

/** `file:///abs`, `file:rel` and plain paths become a path; `libsql://` URLs pass through. */
function libsqlTarget(url: string): string {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (url.startsWith('file:')) return url.slice('file:'.length);
  return url;
}

function migrationOptions(migrationsList: NonNullable<Options['migrations']>['migrationsList']): Options['migrations'] {
  return {
    // Listed explicitly so they load the same way under vitest (TS sources) and from dist/ (JS).
    migrationsList,
    transactional: true,
    allOrNothing: true,
    snapshot: false,
    silent: true,
  };
}
