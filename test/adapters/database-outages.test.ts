import { afterEach, describe, expect, it, vi } from 'vitest';
import { Image } from '../../src/domain/image.js';
import { openDatabase, type Database } from '../../src/adapters/mikro-orm/database.js';
import { isDatabaseUnavailable } from '../../src/adapters/mikro-orm/database-errors.js';
import { MikroOrmImageRepository } from '../../src/adapters/mikro-orm/mikro-orm-image-repository.js';
import { MikroOrmUploadReplays } from '../../src/adapters/mikro-orm/mikro-orm-upload-replays.js';
import { freePort } from '../support/free-port.js';
import { serviceReachable, TEST_POSTGRES_URL } from '../support/real-services.js';
import { migratedScratch, scratchPostgres, type ScratchDatabase } from '../support/scratch-databases.js';

const postgresReachable = await serviceReachable('PostgreSQL', TEST_POSTGRES_URL);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function anImage(id: string): Image {
  const at = new Date('2026-11-28T12:00:00Z');
  return Image.create({
    id,
    filename: 'a.jpg',
    format: 'jpeg',
    contentType: 'image/jpeg',
    sizeBytes: 10,
    width: 4,
    height: 3,
    checksum: 'a'.repeat(64),
    originalKey: `originals/aa/${'a'.repeat(64)}`,
    deleteTokenHash: 'b'.repeat(64),
    createdAt: at,
  });
}

describe.skipIf(!postgresReachable)('a PostgreSQL server that does not answer', () => {
  async function unreachable(): Promise<Database> {
    const url = new URL(TEST_POSTGRES_URL);
    url.port = String(await freePort());
    const database = await openDatabase({ url: url.toString() });
    cleanups.push(() => database.close());
    return database;
  }

  it('rejects every repository call with DATABASE_UNAVAILABLE, the driver error as cause', async () => {
    const repository = new MikroOrmImageRepository((await unreachable()).orm);
    const unavailable = { code: 'DATABASE_UNAVAILABLE', cause: { code: 'ECONNREFUSED' } };

    await expect(repository.add(anImage('img1'))).rejects.toMatchObject(unavailable);
    await expect(repository.findById('img1')).rejects.toMatchObject(unavailable);
    await expect(repository.findByChecksum('a'.repeat(64))).rejects.toMatchObject(unavailable);
    await expect(repository.update(anImage('img1'))).rejects.toMatchObject(unavailable);
    await expect(repository.delete('img1')).rejects.toMatchObject(unavailable);
    await expect(repository.list({ limit: 10, cursor: null })).rejects.toMatchObject(unavailable);
    await expect(repository.findStale({ statuses: ['pending'], updatedBefore: new Date(), limit: 10 })).rejects.toMatchObject(unavailable);
    await expect(repository.withChecksumLock('a'.repeat(64), () => Promise.resolve(1))).rejects.toMatchObject(unavailable);
  });

  it('rejects upload replay calls with DATABASE_UNAVAILABLE', async () => {
    const replays = new MikroOrmUploadReplays((await unreachable()).orm);
    const unavailable = { code: 'DATABASE_UNAVAILABLE' };

    await expect(replays.claim('key', new Date(), 60_000)).rejects.toMatchObject(unavailable);
    await expect(replays.complete('key', { imageId: 'img1', sealedDeleteToken: 'sealed' })).rejects.toMatchObject(unavailable);
    await expect(replays.release('key')).rejects.toMatchObject(unavailable);
  });
});

describe.skipIf(!postgresReachable)('a PostgreSQL connection the server ends', () => {
  it('fails the call it cuts with DATABASE_UNAVAILABLE, then works again without help', async () => {
    const { database, close } = await migratedScratch(scratchPostgres);
    cleanups.push(close);
    const repository = new MikroOrmImageRepository(database.orm);
    await repository.add(anImage('img1'));
    const admin = await openDatabase({ url: TEST_POSTGRES_URL });
    cleanups.push(() => admin.close());
    const databaseName = new URL(database.orm.config.get('clientUrl') ?? '').pathname.slice(1);
    const terminate = () =>
      admin.orm.em
        .getConnection()
        .execute('select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [databaseName]);

    // A transaction holding the checksum lock is under way when the server ends its connection.
    const cut = repository.withChecksumLock('a'.repeat(64), terminate);

    await expect(cut).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    // Another pooled connection the server ended may fail its next call the same way (never otherwise);
    // then the pool has replaced them and the same repository answers again.
    await vi.waitFor(
      async () => {
        const found = await repository.findById('img1').catch((error: unknown) => {
          expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
          return null;
        });
        expect(found?.id).toBe('img1');
      },
      { timeout: 5000, interval: 10 },
    );
  });
});

describe.skipIf(!postgresReachable)('migrations from several processes at once', () => {
  it('runs once: one migrator applies them, the others wait for it and find nothing to do', async () => {
    const target: ScratchDatabase = await scratchPostgres();
    cleanups.push(() => target.drop());
    const databases = await Promise.all([1, 2, 3].map(() => openDatabase({ url: target.url })));
    cleanups.push(() => Promise.all(databases.map((database) => database.close())).then(() => undefined));

    const applied = await Promise.all(databases.map((database) => database.migrate()));

    expect(applied.map((names) => names.length).sort()).toEqual([0, 0, 2]);
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a server shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a server starting up (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a connection exception (08006)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    ['pg losing its socket', new Error('Connection terminated unexpectedly')],
    ['a libsql file locked too long', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
  ])('%s is an outage', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a syntax error (42601)', Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' })],
    ['a unique violation (23505)', Object.assign(new Error('duplicate key value'), { code: '23505' })],
    ['a constraint failure on libsql', Object.assign(new Error('NOT NULL constraint failed'), { code: 'SQLITE_CONSTRAINT' })],
    ['a plain Error', new Error('something else')],
    ['not an Error', 'ECONNREFUSED'],
  ])('%s is not', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
