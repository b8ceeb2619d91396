import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { DomainError, ImageNotFoundError } from '../../src/domain/errors.js';
import { coreKit } from '../support/core-kit.js';
import {
  expectConsistent,
  imagehostCommands,
  ImagehostModel,
  type DeleteLimits,
  type DeleteOutcome,
  type ImageSpec,
  type ImagehostDriver,
} from '../support/imagehost-model.js';
import { concat } from '../support/sample-images.js';

/** Bytes the fake resizer accepts; the salt goes after the header, so equal specs are identical bytes. */
function fakeBytes(spec: ImageSpec): Promise<Uint8Array> {
  return Promise.resolve(concat(fakeImageBytes(spec.format, spec.width, spec.height), Uint8Array.of(spec.salt)));
}

/** The use cases over in-memory adapters and a clock the test moves. */
function coreDriver(kit: ReturnType<typeof coreKit>): ImagehostDriver {
  const found = async <T>(read: () => Promise<T>): Promise<T | null> => {
    try {
      return await read();
    } catch (error) {
      if (error instanceof ImageNotFoundError) return null;
      throw error;
    }
  };
  return {
    async upload(bytes) {
      const { image, deleteToken } = await kit.upload.execute({ bytes, filename: 'x' });
      return { id: image.id, deleteToken };
    },
    async read(id) {
      const [metadata, file] = await Promise.all([found(() => kit.getImage.execute(id)), found(() => kit.getOriginal.execute(id))]);
      if (!metadata !== !file) throw new Error(`metadata and file of ${id} disagree`);
      const stream = await file?.open();
      if (!stream) return null;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async delete(id, token, client): Promise<DeleteOutcome> {
      try {
        await kit.deleteImage.execute(id, token, `client-${client}`);
        return 'DELETED';
      } catch (error) {
        if (error instanceof DomainError) return error.code as DeleteOutcome;
        throw error;
      }
    },
    async listIds() {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await kit.listImages.execute({ limit: 7, cursor }); // small pages: the cursor walk is part of the check
        ids.push(...page.items.map((image) => image.id));
        cursor = page.nextCursor;
      } while (cursor);
      return ids;
    },
    advance: (ms) => kit.clock.advance(ms),
  };
}

const MINUTE = 60_000;
const limits: fc.Arbitrary<DeleteLimits> = fc.record({
  perImage: fc.record({ maxFailures: fc.integer({ min: 1, max: 5 }), windowMs: fc.integer({ min: 5, max: 30 }).map((m) => m * MINUTE) }),
  perClient: fc.record({ maxFailures: fc.integer({ min: 1, max: 8 }), windowMs: fc.integer({ min: 5, max: 30 }).map((m) => m * MINUTE) }),
});

describe('the core against a model (in memory)', () => {
  it('keeps every image readable and intact until its right token deletes it, lists exactly the live set, and limits wrong tokens', async () => {
    const commands = imagehostCommands({ bytesOf: fakeBytes, clients: 3, withTime: true, maxCommands: 60 });
    await fc.assert(
      fc.asyncProperty(limits, commands, async (deleteLimits, sequence) => {
        const kit = coreKit({ deleteAttempts: deleteLimits });
        const setup = { model: new ImagehostModel(deleteLimits), real: coreDriver(kit) };
        await fc.asyncModelRun(() => setup, sequence);
        await expectConsistent(setup);
      }),
      { numRuns: 300 },
    );
  });
});
