import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/adapters/mikro-orm/database.js';
import { TEST_POSTGRES_URL } from './real-services.js';

/** A database that exists only for one test: `url` to open it, `drop` to remove every trace. */
export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function scratchLibsql(): Promise<ScratchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'imagehost-repository-'));
  // A parent directory that does not exist yet: openDatabase must create it.
  return { url: `file:${join(dir, 'data', 'images.db')}`, drop: () => rm(dir, { recursive: true, force: true }) };
}

let postgresAdmin: Promise<Database> | undefined;
let openScratches = 0;

/**
 * A PostgreSQL database of its own (CREATE DATABASE takes about 0.1 s here), dropped by `drop`.
 * The admin connection that creates and drops them closes when the last scratch is dropped.
 */
export async function scratchPostgres(): Promise<ScratchDatabase> {
  openScratches++;
  postgresAdmin ??= openDatabase({ url: TEST_POSTGRES_URL });
  const admin = postgresAdmin;
  const connection = (await admin).orm.em.getConnection();
  const name = `imagehost_test_${randomBytes(8).toString('hex')}`;
  await connection.execute(`create database "${name}"`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await connection.execute(`drop database if exists "${name}" with (force)`);
      if (--openScratches === 0 && postgresAdmin === admin) {
        postgresAdmin = undefined;
        await (await admin).close();
      }
    },
  };
}

/** A scratch database opened and migrated; `close` closes it and removes every trace. */
export async function migratedScratch(scratch: () => Promise<ScratchDatabase>): Promise<{ database: Database; close(): Promise<void> }> {
  const target = await scratch();
  const database = await openDatabase({ url: target.url });
  await database.migrate();
  return {
    database,
    close: async () => {
      await database.close();
      await target.drop();
    },
  };
}
