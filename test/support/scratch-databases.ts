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

/** A PostgreSQL database of its own (CREATE DATABASE takes about 0.1 s here), dropped by `drop`. */
export async function scratchPostgres(): Promise<ScratchDatabase> {
  postgresAdmin ??= openDatabase({ url: TEST_POSTGRES_URL });
  const connection = (await postgresAdmin).orm.em.getConnection();
  const name = `imagehost_test_${randomBytes(8).toString('hex')}`;
  await connection.execute(`create database "${name}"`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: async () => void (await connection.execute(`drop database if exists "${name}" with (force)`)) };
}

/** Closes the admin connection scratchPostgres opened; call once per test file (afterAll). */
export async function closeScratchAdmin(): Promise<void> {
  const admin = postgresAdmin;
  postgresAdmin = undefined;
  if (admin) await (await admin).close();
}
