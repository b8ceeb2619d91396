import { randomBytes } from 'node:crypto';
import { openDatabase } from '../src/adapters/mikro-orm/database.js';

/** Where the bench may CREATE a scratch database (the same server the adapter tests use). */
export const BENCH_POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A PostgreSQL database for one bench run, dropped (with every connection to it) by `drop`. */
export async function scratchPostgres(): Promise<ScratchDatabase> {
  const admin = await openDatabase({ url: BENCH_POSTGRES_URL }).catch((error: unknown) => {
    throw new Error(`PostgreSQL is not reachable at ${BENCH_POSTGRES_URL} (set BENCH_DATABASE_URL): ${String(error)}`);
  });
  const name = `imagehost_bench_${randomBytes(6).toString('hex')}`;
  try {
    await admin.orm.em.getConnection().execute(`create database "${name}"`);
  } catch (error) {
    await admin.close();
    throw error;
  }
  const url = new URL(BENCH_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      try {
        await admin.orm.em.getConnection().execute(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.close();
      }
    },
  };
}
