import { EntitySchema } from '@mikro-orm/core';

/** One row of the `upload_replays` table (columns are the snake_case of these names). */
export interface UploadReplayRow {
  key: string;
  state: 'in-progress' | 'completed';
  /** Null while in progress. */
  imageId: string | null;
  /** Null while in progress. */
  sealedDeleteToken: string | null;
  /** When the current claim was taken; both the replay window and claim staleness count from it. */
  claimedAt: Date;
}

/**
 * Decorator-free mapping of UploadReplayRow. As with ImageSchema, the migrations create the table and
 * this schema describes the same table, so that the schema generator sees no difference.
 */
export const UploadReplaySchema = new EntitySchema<UploadReplayRow>({
  name: 'UploadReplayRow',
  tableName: 'upload_replays',
  properties: {
    key: { type: 'string', length: 64, primary: true },
    state: { type: 'text' },
    imageId: { type: 'text', nullable: true },
    sealedDeleteToken: { type: 'text', nullable: true },
    claimedAt: { type: 'datetime', length: 3 },
  },
});
