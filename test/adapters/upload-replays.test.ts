import { describe } from 'vitest';
import { InMemoryUploadReplays } from '../../src/adapters/memory/in-memory-upload-replays.js';
import { MikroOrmUploadReplays } from '../../src/adapters/mikro-orm/mikro-orm-upload-replays.js';
import { uploadReplaysContract } from '../contracts/upload-replays.contract.js';
import { serviceReachable, TEST_POSTGRES_URL } from '../support/real-services.js';
import { scratchLibsql, scratchPostgres, type ScratchDatabase, migratedScratch } from '../support/scratch-databases.js';

const postgresReachable = await serviceReachable('PostgreSQL', TEST_POSTGRES_URL);

async function migratedReplays(scratch: () => Promise<ScratchDatabase>) {
  const { database, close } = await migratedScratch(scratch);
  return { replays: new MikroOrmUploadReplays(database.orm), close };
}

uploadReplaysContract('InMemoryUploadReplays', () =>
  Promise.resolve({ replays: new InMemoryUploadReplays(), close: () => Promise.resolve() }),
);

uploadReplaysContract('MikroOrmUploadReplays on libsql', () => migratedReplays(scratchLibsql));

describe.skipIf(!postgresReachable)('PostgreSQL', () => {
  uploadReplaysContract('MikroOrmUploadReplays on PostgreSQL', () => migratedReplays(scratchPostgres));
});
