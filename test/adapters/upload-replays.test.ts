import { describe } from 'vitest';
import { InMemoryUploadReplays } from '../../src/adapters/memory/in-memory-upload-replays.js';
import { openDatabase } from '../../src/adapters/mikro-orm/database.js';
import { MikroOrmUploadReplays } from '../../src/adapters/mikro-orm/mikro-orm-upload-replays.js';
import { uploadReplaysContract } from '../contracts/upload-replays.contract.js';
import { serviceReachable, TEST_POSTGRES_URL } from '../support/real-services.js';
import { scratchLibsql, scratchPostgres, type ScratchDatabase } from '../support/scratch-databases.js';

const postgresReachable = await serviceReachable('PostgreSQL', TEST_POSTGRES_URL);

async function migratedReplays(scratch: () => Promise<ScratchDatabase>) {
  const target = await scratch();
  const database = await openDatabase({ url: target.url });
  await database.migrate();
  return {
    replays: new MikroOrmUploadReplays(database.orm),
    close: async () => {
      await database.close();
      await target.drop();
    },
  };
}

uploadReplaysContract('InMemoryUploadReplays', () =>
  Promise.resolve({ replays: new InMemoryUploadReplays(), close: () => Promise.resolve() }),
);

uploadReplaysContract('MikroOrmUploadReplays on libsql', () => migratedReplays(scratchLibsql));

describe.skipIf(!postgresReachable)('PostgreSQL', () => {
  uploadReplaysContract('MikroOrmUploadReplays on PostgreSQL', () => migratedReplays(scratchPostgres));
});
