import { describe, expect, it } from 'vitest';
import { IdempotentUpload } from '../../src/application/idempotent-upload.js';
import { fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { InMemoryUploadReplays } from '../../src/adapters/memory/in-memory-upload-replays.js';
import { IdempotencyKeyReusedError, ImageNotFoundError, InvalidParameterError } from '../../src/domain/errors.js';
import { sealedToken } from '../../src/domain/sealed-token.js';
import { coreKit } from '../support/core-kit.js';

const KEY = '5b1c8f5e-4d0b-4b7e-9a53-2a1f0c3d9e77';

function idempotentKit() {
  const kit = coreKit();
  const replays = new InMemoryUploadReplays();
  return { kit, replays, upload: new IdempotentUpload(kit.upload, replays, kit.images, kit.clock, 60_000) };
}

describe('sealedToken', () => {
  it('opens only with the secret it was sealed under, and detects tampering', () => {
    const sealed = sealedToken.seal('the-delete-token', KEY);
    expect(sealed).not.toContain('the-delete-token');
    expect(sealedToken.open(sealed, KEY)).toBe('the-delete-token');
    expect(sealedToken.open(sealed, `${KEY}x`)).toBeNull();
    const tampered = Buffer.from(sealed, 'base64url');
    tampered[tampered.length - 1]! ^= 1;
    expect(sealedToken.open(tampered.toString('base64url'), KEY)).toBeNull();
    expect(sealedToken.open('short', KEY)).toBeNull();
  });
});

describe('IdempotentUpload', () => {
  it('replays the first image and token within the window, uploads anew after it', async () => {
    const { kit, upload } = idempotentKit();
    const bytes = fakeImageBytes('png', 40, 30);
    const first = await upload.execute({ bytes, filename: 'a.png' }, KEY);
    const again = await upload.execute({ bytes, filename: 'a.png' }, KEY);
    expect(again).toMatchObject({ replayed: true, deleteToken: first.deleteToken });
    expect(again.image.id).toBe(first.image.id);
    kit.clock.advance(60_001);
    const later = await upload.execute({ bytes, filename: 'a.png' }, KEY);
    expect(later.replayed).toBe(false);
    expect(later.image.id).not.toBe(first.image.id);
  });

  it('refuses a reused key for other bytes, a malformed key, and a replay of a deleted image', async () => {
    const { kit, upload } = idempotentKit();
    const first = await upload.execute({ bytes: fakeImageBytes('png', 40, 30), filename: 'a.png' }, KEY);
    await expect(upload.execute({ bytes: fakeImageBytes('png', 41, 30), filename: 'a.png' }, KEY)).rejects.toThrow(IdempotencyKeyReusedError);
    await expect(upload.execute({ bytes: fakeImageBytes('png', 40, 30), filename: 'a.png' }, 'no')).rejects.toThrow(InvalidParameterError);
    await kit.deleteImage.execute(first.image.id, first.deleteToken);
    await expect(upload.execute({ bytes: fakeImageBytes('png', 40, 30), filename: 'a.png' }, KEY)).rejects.toThrow(ImageNotFoundError);
  });

  it('frees the key when the upload fails, so the retry can succeed', async () => {
    const { upload } = idempotentKit();
    await expect(upload.execute({ bytes: new Uint8Array(), filename: 'a.png' }, KEY)).rejects.toThrow();
    const retry = await upload.execute({ bytes: fakeImageBytes('png', 40, 30), filename: 'a.png' }, KEY);
    expect(retry.replayed).toBe(false);
  });
});
