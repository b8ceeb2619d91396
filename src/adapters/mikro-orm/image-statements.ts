import { createHash } from 'node:crypto';
import type { EntityMetadata, EntityProperty, MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/knex';
import { ImageSchema, type ImageRow } from './image-schema.js';

type Lookup = 'id' | 'checksumSha256';

/**
 * The columns an update writes: what an Image's transitions change (its thumbnail state and
 * updatedAt) and the version. The rest are fixed when the image is added. Leaving them out of the SET
 * list keeps their indexes out of the write (SQLite rewrites the index entries of every column
 * assigned, same value or not): on libsql a thumbnail job's two updates made ~21 writes to the WAL
 * with every column assigned, ~12 without the fixed ones (see bench/NOTES.md, Tuning).
 */
const CHANGING = new Set<keyof ImageRow>([
  'updatedAt',
  'thumbnailStatus',
  'thumbnailAttempts',
  'thumbnailLastError',
  'thumbnailNextRetryAt',
  'renditions',
  'placeholder',
  'version',
]);

/** What the statements need of knex's client: its driver's name, and its connection pool. */
interface PoolingClient {
  readonly driverName: string;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/** What the statements need of a node-postgres client: a query by name, prepared once per connection; plain SQL; closing. */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  query(text: string): Promise<unknown>;
  escapeLiteral(value: string): string;
  end(): Promise<void>;
}

/** What the statements need of a libsql connection (its API is better-sqlite3's). */
interface LibsqlConnection {
  prepare(sql: string): { all(params: unknown[]): unknown[]; run(params: unknown[]): { changes: number } };
}

/**
 * The statements every request and every thumbnail job runs (a row by id or by checksum, the
 * conditional update), as plain SQL built once from MikroORM's metadata and run on its connection pool.
 * MikroORM's query builder and entity hydration cost ~0.6 ms of CPU per call on the event loop; the
 * statement itself ~0.07 ms. Values cross in both directions through MikroORM's own column types and
 * date handling, so rows read and written here are the rows its entity manager reads and writes.
 *
 * They also skip MikroORM's execute, which writes the values into the SQL text, so that the database
 * parses and plans that text anew every call. On libsql (~0.1 – 0.2 ms of CPU on the event loop) each
 * pooled connection prepares each statement once and runs it with the values bound (~0.02 ms); on
 * PostgreSQL each is a named prepared statement, which the server parses and plans once per connection
 * (a thumbnail job's four: see bench/NOTES.md, Tuning).
 */
export class ImageStatements {
  private readonly meta: EntityMetadata<ImageRow>;
  private readonly selects = new Map<Lookup, string>();
  private readonly updateSql: string;
  private readonly updated: EntityProperty<ImageRow>[];
  /** libsql only: each pooled connection's prepared statements, by SQL (a connection the pool drops takes its own along). */
  private readonly prepared = new WeakMap<LibsqlConnection, Map<string, ReturnType<LibsqlConnection['prepare']>>>();
  /** PostgreSQL only: each statement's numbered-parameter form and name, by SQL. */
  private readonly pgStatements = new Map<string, { name: string; text: string }>();

  constructor(private readonly orm: MikroORM) {
    this.meta = orm.getMetadata().get<ImageRow>(ImageSchema.meta.className);
    const platform = orm.em.getPlatform();
    const table = platform.quoteIdentifier(this.meta.tableName);
    // The columns by name, not `*`: a column a later migration adds must not change the result of a
    // statement PostgreSQL has prepared ("cached plan must not change result type").
    const columns = this.meta.props.map((prop) => this.column(prop.name)).join(', ');
    for (const lookup of ['id', 'checksumSha256'] as const) {
      this.selects.set(lookup, `select ${columns} from ${table} where ${this.column(lookup)} = ?`);
    }
    this.updated = this.meta.props.filter((prop) => CHANGING.has(prop.name));
    const assignments = this.updated.map((prop) => `${this.column(prop.name)} = ?`).join(', ');
    this.updateSql = `update ${table} set ${assignments} where ${this.column('id')} = ? and ${this.column('version')} = ?`;
  }

  /** Every row whose `lookup` column equals `value`. */
  async select(lookup: Lookup, value: string): Promise<ImageRow[]> {
    const rows = (await this.run(this.selects.get(lookup)!, [value], 'all')) as Record<string, unknown>[];
    const driver = this.orm.em.getDriver();
    const platform = this.orm.em.getPlatform();
    return rows.map((raw) => {
      // Column names to property names and dates to Date, as hydration does; then the custom types.
      const row = driver.mapResult(raw, this.meta) as Record<string, unknown>;
      for (const prop of this.meta.props) {
        if (prop.customType && row[prop.name] != null) row[prop.name] = prop.customType.convertToJSValue(row[prop.name], platform);
      }
      return row as unknown as ImageRow;
    });
  }

  /** Writes `row` over the stored one if that is still at `expectedVersion`; resolves with whether it did. */
  async updateIfVersion(row: ImageRow, expectedVersion: number): Promise<boolean> {
    const platform = this.orm.em.getPlatform();
    const values = this.updated.map((prop): unknown => {
      const value: unknown = row[prop.name];
      if (value == null) return null;
      if (prop.customType) return prop.customType.convertToDatabaseValue(value, platform) as unknown;
      return value instanceof Date ? platform.processDateProperty(value) : value;
    });
    const result = (await this.run(this.updateSql, [...values, row.id, expectedVersion], 'run')) as { affectedRows: number };
    return result.affectedRows > 0;
  }

  /**
   * PostgreSQL only: runs `work` in a transaction that holds the transaction-scoped advisory lock of
   * `key`, on a connection of the pool, and commits. The lock ends with the transaction, so a dropped
   * connection or a pooler in transaction mode never leaves it held. BEGIN and the lock go in one round
   * trip (the simple query protocol takes both statements in one message), COMMIT in another: two
   * instead of MikroORM's transaction's three, and ~0.1 ms of CPU instead of ~0.5 (bench/NOTES.md,
   * Tuning). When `work` rejects, the transaction is rolled back and its error passed on. A connection
   * whose transaction could not be ended is closed, so the pool replaces it.
   */
  async inLockedTransaction<T>(key: string, work: () => Promise<T>): Promise<T> {
    const client = (this.orm.em.getConnection() as AbstractSqlConnection).getKnex().client as PoolingClient;
    const pooled = (await client.acquireConnection()) as PgClient;
    let ended = false;
    try {
      await pooled.query(`begin; select pg_advisory_xact_lock(hashtextextended(${pooled.escapeLiteral(key)}, 0))`);
      let result: T;
      try {
        result = await work();
      } catch (error) {
        ended = await pooled.query('rollback').then(() => true, () => false);
        throw error;
      }
      await pooled.query('commit');
      ended = true;
      return result;
    } finally {
      // knex marks a connection that ended as disposed, and its pool destroys it instead of lending it again.
      if (!ended) await pooled.end().catch(() => undefined);
      await client.releaseConnection(pooled);
    }
  }

  private column(property: keyof ImageRow): string {
    return this.orm.em.getPlatform().quoteIdentifier(this.meta.properties[property].fieldNames[0]!);
  }

  private async run(sql: string, params: unknown[], method: 'all' | 'run'): Promise<unknown> {
    const connection = this.orm.em.getConnection() as AbstractSqlConnection;
    const client = connection.getKnex().client as PoolingClient;
    if (client.driverName !== 'libsql' && client.driverName !== 'pg') return connection.execute(sql, params, method);
    const pooled = await client.acquireConnection();
    try {
      if (client.driverName === 'pg') {
        const { rows, rowCount } = await (pooled as PgClient).query({ ...this.named(sql), values: params });
        return method === 'all' ? rows : { affectedRows: rowCount ?? 0 };
      }
      const statement = this.statementOn(pooled as LibsqlConnection, sql);
      if (method === 'all') return statement.all(params);
      return { affectedRows: statement.run(params).changes };
    } finally {
      await client.releaseConnection(pooled);
    }
  }

  /**
   * PostgreSQL's form of `sql` (`$1`, `$2`… for `?`) and a name node-postgres prepares it under, once per
   * connection. The name comes from the text itself: every instance on a pool names a statement alike,
   * and node-postgres refuses one name for two texts.
   */
  private named(sql: string): { name: string; text: string } {
    let statement = this.pgStatements.get(sql);
    if (!statement) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      statement = { name: `imagehost_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`, text };
      this.pgStatements.set(sql, statement);
    }
    return statement;
  }

  private statementOn(connection: LibsqlConnection, sql: string): ReturnType<LibsqlConnection['prepare']> {
    let statements = this.prepared.get(connection);
    if (!statements) this.prepared.set(connection, (statements = new Map<string, ReturnType<LibsqlConnection['prepare']>>()));
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = connection.prepare(sql)));
    return statement;
  }
}
