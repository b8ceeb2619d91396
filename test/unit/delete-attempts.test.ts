import { describe, expect, it } from 'vitest';
import { fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { ImageNotFoundError, InvalidDeleteTokenError } from '../../src/domain/errors.js';
import { TooManyAttemptsError } from '../../src/domain/too-many-attempts-error.js';
import { coreKit } from '../support/core-kit.js';

const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;

/** An in-memory repository that counts lookups, to prove a blocked attempt never reaches the token check. */
class CountingRepository extends InMemoryImageRepository {
  lookups = 0;
  override findById(id: string) {
    this.lookups++;
    return super.findById(id);
  }
}

let width = 100;
async function upload(kit: ReturnType<typeof coreKit>) {
  return kit.upload.execute({ bytes: fakeImageBytes('png', width++, 50), filename: 'a.png' });
}

async function wrong(kit: ReturnType<typeof coreKit>, id: string, times: number, client?: string) {
  for (let i = 0; i < times; i++) {
    await expect(kit.deleteImage.execute(id, `wrong-${i}`, client)).rejects.toThrow(InvalidDeleteTokenError);
  }
}

describe('DeleteImage attempt limits (10 per image, 30 per client, 15 minutes)', () => {
  it('still deletes with the right token after 9 wrong ones', async () => {
    const kit = coreKit();
    const { image, deleteToken } = await upload(kit);
    await wrong(kit, image.id, 9, '192.0.2.1');
    await kit.deleteImage.execute(image.id, deleteToken, '192.0.2.1');
    await expect(kit.getImage.execute(image.id)).rejects.toThrow(ImageNotFoundError);
  });

  it('after 10 wrong tokens for one image, from any clients, refuses every delete of it unchecked until the window passes', async () => {
    const repository = new CountingRepository();
    const kit = coreKit({ images: repository });
    const { image, deleteToken } = await upload(kit);
    for (let i = 0; i < 10; i++) {
      await wrong(kit, image.id, 1, `198.51.100.${i}`); // ten different clients: only the image limit applies
      kit.clock.advance(MINUTE);
    }
    const lookups = repository.lookups;
    // The right token, a wrong one and none at all are all refused the same way, without a lookup.
    for (const token of [deleteToken, 'wrong', undefined]) {
      const refused = kit.deleteImage.execute(image.id, token, '203.0.113.7');
      await expect(refused).rejects.toThrow(TooManyAttemptsError);
      await expect(refused).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS', retryAfterMs: WINDOW - 10 * MINUTE });
    }
    expect(repository.lookups).toBe(lookups);
    // Refused attempts are not counted: the block ends when the first failure is 15 minutes old.
    kit.clock.advance(5 * MINUTE);
    await kit.deleteImage.execute(image.id, deleteToken, '203.0.113.7');
  });

  it('after 30 wrong tokens from one client, refuses that client everywhere, but not other clients', async () => {
    const kit = coreKit();
    const targets = await Promise.all([0, 1, 2, 3].map(() => upload(kit)));
    for (const { image } of targets.slice(0, 3)) await wrong(kit, image.id, 9, '2001:db8:1:2::/64'); // 27
    await wrong(kit, targets[3]!.image.id, 3, '2001:db8:1:2::/64'); // 30
    const own = await upload(kit);
    await expect(kit.deleteImage.execute(own.image.id, own.deleteToken, '2001:db8:1:2::/64')).rejects.toThrow(TooManyAttemptsError);
    await expect(kit.deleteImage.execute('AAAAAAAAAAAAAAAAAAAAAA', 'x', '2001:db8:1:2::/64')).rejects.toThrow(TooManyAttemptsError);
    // Another client may still delete its own image; no image is over its own limit.
    await kit.deleteImage.execute(own.image.id, own.deleteToken, '192.0.2.50');
    await kit.deleteImage.execute(targets[0]!.image.id, targets[0]!.deleteToken, '192.0.2.50');
    kit.clock.advance(WINDOW);
    await kit.deleteImage.execute(targets[1]!.image.id, targets[1]!.deleteToken, '2001:db8:1:2::/64');
  });

  it('counts neither unknown nor malformed ids, and a caller without a client identity only per image', async () => {
    const kit = coreKit({ deleteAttempts: { perClient: { maxFailures: 2, windowMs: WINDOW } } });
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'nope', '../../x', 'B'.repeat(5000)]) {
      for (let i = 0; i < 3; i++) await expect(kit.deleteImage.execute(id, 'x', 'c')).rejects.toThrow(ImageNotFoundError);
    }
    const { image, deleteToken } = await upload(kit);
    await wrong(kit, image.id, 5); // no client: only the per-image count (limit 10) moves
    await kit.deleteImage.execute(image.id, deleteToken, 'c');
  });

  it('uses the limits it is given', async () => {
    const kit = coreKit({ deleteAttempts: { perImage: { maxFailures: 1, windowMs: MINUTE } } });
    const { image, deleteToken } = await upload(kit);
    await wrong(kit, image.id, 1, 'c');
    await expect(kit.deleteImage.execute(image.id, deleteToken, 'c')).rejects.toMatchObject({ retryAfterMs: MINUTE });
    kit.clock.advance(MINUTE);
    await kit.deleteImage.execute(image.id, deleteToken, 'c');
  });
});
