import type { MikroORM, QueryResult } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { STALE_CLAIM_MS, type ClaimResult, type UploadReplay, type UploadReplays } from '../../ports/upload-replays.js';
import { databaseCall } from './database-errors.js';
import { UploadReplaySchema, type UploadReplayRow } from './upload-replay-schema.js';

/**
 * A claim runs at most three statements per round; a round repeats only when the row it saw vanished
 * (released) in between, which needs another request with the same key to fail at that very moment.
 */
const MAX_CLAIM_ROUNDS = 5;

/**
 * UploadReplays on MikroORM, for PostgreSQL and libsql alike: one `upload_replays` row per key.
 * Every call runs on its own forked EntityManager and issues native queries; the database arbitrates
 * concurrent claims, so this is safe across processes. Time comes only from `claim`'s `now`.
 *
 * `claim` never reads and then writes without a condition:
 * 1. `insert … on conflict (key) do nothing`: one affected row means the key was free, and is ours;
 * 2. otherwise `update … where key = ? and (claimed_at < now - window or (state = 'in-progress' and
 *    claimed_at < now - STALE_CLAIM_MS))`: one affected row means we took over an expired record;
 * 3. otherwise the live row is read and reported (completed → its replay, in progress → in-progress).
 *
 * `complete` records an outcome only while the key is claimed (`where state = 'in-progress'`): on a
 * released, unknown or already completed key it resolves and changes nothing (the first outcome wins).
 * `release` deletes only a claim in progress, never a completed record.
 *
 * `orm` must have been opened with UploadReplaySchema registered (see `openDatabase`).
 */
export class MikroOrmUploadReplays implements UploadReplays {
  constructor(private readonly orm: MikroORM) {}

  claim(key: string, now: Date, windowMs: number): Promise<ClaimResult> {
    return databaseCall(() => this.claimOnce(key, now, windowMs));
  }

  complete(key: string, replay: UploadReplay): Promise<void> {
    return databaseCall(async () => {
      await this.em().nativeUpdate(
        UploadReplaySchema,
        { key, state: 'in-progress' },
        { state: 'completed', imageId: replay.imageId, sealedDeleteToken: replay.sealedDeleteToken },
      );
    });
  }

  release(key: string): Promise<void> {
    return databaseCall(async () => {
      await this.em().nativeDelete(UploadReplaySchema, { key, state: 'in-progress' });
    });
  }

  private async claimOnce(key: string, now: Date, windowMs: number): Promise<ClaimResult> {
    const em = this.em();
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      if (await this.insertClaim(em, key, now)) return { state: 'claimed' };
      if (await this.takeOverExpired(em, key, now, windowMs)) return { state: 'claimed' };
      const row = await em.findOne(UploadReplaySchema, { key }, { disableIdentityMap: true });
      // Absent or expired here means another request released or rewrote it between our statements.
      if (row && !isExpired(row, now, windowMs)) return toClaimResult(row);
    }
    throw new Error(`Could not claim upload replay key "${key}": it kept changing under ${MAX_CLAIM_ROUNDS} attempts`);
  }

  private async insertClaim(em: SqlEntityManager, key: string, now: Date): Promise<boolean> {
    const result = await em
      .createQueryBuilder(UploadReplaySchema)
      .insert({ key, state: 'in-progress', imageId: null, sealedDeleteToken: null, claimedAt: now })
      .onConflict('key')
      .ignore()
      .execute<QueryResult<UploadReplayRow>>('run');
    return result.affectedRows === 1;
  }

  private async takeOverExpired(em: SqlEntityManager, key: string, now: Date, windowMs: number): Promise<boolean> {
    const affected = await em.nativeUpdate(
      UploadReplaySchema,
      {
        key,
        $or: [
          { claimedAt: { $lt: new Date(now.getTime() - windowMs) } },
          { state: 'in-progress', claimedAt: { $lt: new Date(now.getTime() - STALE_CLAIM_MS) } },
        ],
      },
      { state: 'in-progress', imageId: null, sealedDeleteToken: null, claimedAt: now },
    );
    return affected === 1;
  }

  private em(): SqlEntityManager {
    // Both supported drivers (PostgreSQL, libsql) are SQL drivers, whose EntityManager builds queries.
    return this.orm.em.fork() as SqlEntityManager;
  }
}

/** The same rule as the condition of `takeOverExpired`, for a row already read. */
function isExpired(row: UploadReplayRow, now: Date, windowMs: number): boolean {
  const age = now.getTime() - row.claimedAt.getTime();
  return age > windowMs || (row.state === 'in-progress' && age > STALE_CLAIM_MS);
}

function toClaimResult(row: UploadReplayRow): ClaimResult {
  if (row.state === 'in-progress') return { state: 'in-progress' };
  if (row.imageId === null || row.sealedDeleteToken === null) {
    throw new Error(`Upload replay "${row.key}" is completed but lacks its image id or delete token`);
  }
  return { state: 'completed', replay: { imageId: row.imageId, sealedDeleteToken: row.sealedDeleteToken } };
}
