import { describe, expect, it } from 'vitest';
import { fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import {
  ImageNotFoundError,
  InvalidDeleteTokenError,
  InvalidParameterError,
  ThumbnailNotReadyError,
} from '../../src/domain/errors.js';
import { coreKit, jobContext } from '../support/core-kit.js';

async function upload(kit: ReturnType<typeof coreKit>, name = 'a.png') {
  return kit.upload.execute({ bytes: fakeImageBytes('png', 800, 600), filename: name });
}

describe('reading images', () => {
  it('treats malformed and unknown ids as not found', async () => {
    const kit = coreKit();
    for (const id of ['nope', '../../etc/passwd', 'A'.repeat(22), '', '%00']) {
      await expect(kit.getImage.execute(id)).rejects.toThrow(ImageNotFoundError);
      await expect(kit.getOriginal.execute(id)).rejects.toThrow(ImageNotFoundError);
      await expect(kit.getThumbnail.execute(id)).rejects.toThrow(ImageNotFoundError);
    }
  });

  it('says a thumbnail is not ready until it is, and rejects sizes that are not configured', async () => {
    const kit = coreKit({ thumbnails: { sizes: [150, 300] } });
    const { image } = await upload(kit);
    await expect(kit.getThumbnail.execute(image.id)).rejects.toThrow(ThumbnailNotReadyError);
    await expect(kit.getThumbnail.execute(image.id, 301)).rejects.toThrow(InvalidParameterError);
    await kit.generate.execute(image.id, jobContext());
    const thumb = await kit.getThumbnail.execute(image.id);
    expect(thumb.image.rendition(300)?.width).toBe(300);
  });

  it('lists newest first, a page at a time', async () => {
    const kit = coreKit();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await upload(kit, `${i}.png`)).image.id);
      kit.clock.advance(1000);
    }
    const first = await kit.listImages.execute({ limit: 3 });
    expect(first.items.map((i) => i.id)).toEqual(ids.slice(2).reverse());
    const second = await kit.listImages.execute({ limit: 3, cursor: first.nextCursor });
    expect(second.items.map((i) => i.id)).toEqual(ids.slice(0, 2).reverse());
    expect(second.nextCursor).toBeNull();
    await expect(kit.listImages.execute({ limit: 0 })).rejects.toThrow(InvalidParameterError);
    await expect(kit.listImages.execute({ limit: 101 })).rejects.toThrow(InvalidParameterError);
    await expect(kit.listImages.execute({ cursor: 'garbage' })).rejects.toThrow(InvalidParameterError);
  });
});

describe('DeleteImage', () => {
  it('needs the right token, then removes the row, the original and every rendition', async () => {
    const kit = coreKit({ thumbnails: { sizes: [150, 300] } });
    const { image, deleteToken } = await upload(kit);
    await kit.generate.execute(image.id, jobContext());
    const keys = (await kit.getImage.execute(image.id)).storageKeys();
    expect(keys).toHaveLength(3);

    await expect(kit.deleteImage.execute(image.id, undefined)).rejects.toThrow(InvalidDeleteTokenError);
    await expect(kit.deleteImage.execute(image.id, 'wrong')).rejects.toThrow(InvalidDeleteTokenError);
    expect(await kit.getImage.execute(image.id)).toBeDefined();

    await kit.deleteImage.execute(image.id, deleteToken);
    await expect(kit.getImage.execute(image.id)).rejects.toThrow(ImageNotFoundError);
    for (const key of keys) expect(await kit.storage.get(key)).toBeNull();
    await expect(kit.deleteImage.execute(image.id, deleteToken)).rejects.toThrow(ImageNotFoundError);
  });

  it('lets exactly one of two concurrent deletes win', async () => {
    const kit = coreKit();
    const { image, deleteToken } = await upload(kit);
    const results = await Promise.allSettled([
      kit.deleteImage.execute(image.id, deleteToken),
      kit.deleteImage.execute(image.id, deleteToken),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(ImageNotFoundError);
  });

  it("never touches another image's files", async () => {
    const kit = coreKit();
    const a = await upload(kit, 'a.png');
    const b = await upload(kit, 'b.png');
    await kit.deleteImage.execute(a.image.id, a.deleteToken);
    expect(await kit.storage.get(b.image.props.originalKey)).not.toBeNull();
    await expect(kit.deleteImage.execute(b.image.id, a.deleteToken)).rejects.toThrow(InvalidDeleteTokenError);
  });
});
