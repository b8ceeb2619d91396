import { describe, expect, it } from 'vitest';
import { FakeImageResizer, fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { InvalidImageError } from '../../src/domain/errors.js';
import { PermanentTaskError } from '../../src/ports/task-scheduler.js';
import { coreKit, jobContext } from '../support/core-kit.js';

async function uploaded(kit: ReturnType<typeof coreKit>, width = 640, height = 480) {
  const { image, deleteToken } = await kit.upload.execute({ bytes: fakeImageBytes('jpeg', width, height), filename: 'p.jpg' });
  return { id: image.id, deleteToken };
}

describe('GenerateThumbnails', () => {
  it('renders every configured size, stores them and marks the image ready', async () => {
    const kit = coreKit({ thumbnails: { sizes: [150, 300] } });
    const { id } = await uploaded(kit);
    await kit.generate.execute(id, jobContext());

    const image = await kit.getImage.execute(id);
    expect(image.thumbnail).toMatchObject({ status: 'ready', attempts: 1, lastError: null });
    expect(image.thumbnail.renditions.map((r) => [r.size, r.width, r.height])).toEqual([
      [150, 150, 113],
      [300, 300, 225],
    ]);
    for (const r of image.thumbnail.renditions) expect(await kit.storage.get(r.key)).not.toBeNull();
    const served = await kit.getThumbnail.execute(id, 150);
    expect(served.contentType).toBe('image/jpeg');
    expect(served.sha256).toBe(image.rendition(150)?.sha256);
    const bytes = await kit.storage.get(image.rendition(150)!.key);
    expect(served.size).toBe(bytes?.byteLength);
    expect(image.thumbnail.placeholder).toEqual(expect.any(String));
  });

  it('does nothing the second time (a duplicate job costs no rendering)', async () => {
    const kit = coreKit();
    let renders = 0;
    const render = kit.resizer.render.bind(kit.resizer);
    kit.resizer.render = (...args) => (renders++, render(...args));
    const { id } = await uploaded(kit);
    await kit.generate.execute(id, jobContext());
    await kit.generate.execute(id, jobContext());
    expect(renders).toBe(1);
    expect((await kit.getImage.execute(id)).props.version).toBe(3);
  });

  it('marks a corrupt original failed at once, as a permanent failure', async () => {
    const resizer = new FakeImageResizer();
    resizer.render = () => Promise.reject(new InvalidImageError('corrupt scan data'));
    const kit = coreKit({ resizer });
    const { id } = await uploaded(kit);
    await expect(kit.generate.execute(id, jobContext(1, 5))).rejects.toThrow(PermanentTaskError);
    const image = await kit.getImage.execute(id);
    expect(image.thumbnail).toMatchObject({ status: 'failed', lastError: 'INVALID_IMAGE', nextRetryAt: null });
    const original = await kit.getOriginal.execute(id);
    const body = await original.open();
    expect(body).not.toBeNull();
    body?.destroy();
    expect(original.size).toBeGreaterThan(0);
  });

  it('puts a transiently failing image back to pending with its next retry time, then fails it on the last try', async () => {
    const kit = coreKit();
    const { id } = await uploaded(kit);
    const get = kit.storage.get.bind(kit.storage);
    kit.storage.get = () => Promise.reject(new Error('storage unavailable'));

    await expect(kit.generate.execute(id, jobContext(1, 2, 5000))).rejects.toThrow('storage unavailable');
    let image = await kit.getImage.execute(id);
    expect(image.thumbnail).toMatchObject({ status: 'pending', attempts: 1, lastError: 'UNEXPECTED_ERROR' });
    expect(image.thumbnail.nextRetryAt?.getTime()).toBe(kit.clock.now().getTime() + 5000);

    await expect(kit.generate.execute(id, jobContext(2, 2))).rejects.toThrow('storage unavailable');
    image = await kit.getImage.execute(id);
    expect(image.thumbnail).toMatchObject({ status: 'failed', attempts: 2, nextRetryAt: null });

    kit.storage.get = get;
  });

  it('counts a run that died mid-way as a try, so an image that kills every worker fails instead of looping', async () => {
    const kit = coreKit({ thumbnails: { attempts: 3 } });
    const { id } = await uploaded(kit);
    const render = kit.resizer.render.bind(kit.resizer);
    let decodes = 0;
    kit.resizer.render = () => (decodes++, new Promise(() => undefined)); // the worker dies decoding: no outcome ever
    for (const expected of [1, 2, 3]) {
      // Each death leaves the image processing; the scheduler's stalled-job recovery or the reconciler
      // runs it again as a fresh job (attempt 1), which still counts on.
      void kit.generate.execute(id, jobContext(1, 3));
      await expect.poll(() => decodes).toBe(expected);
      expect((await kit.getImage.execute(id)).thumbnail).toMatchObject({ status: 'processing', attempts: expected });
    }
    kit.resizer.render = render;
    await expect(kit.generate.execute(id, jobContext(1, 3))).rejects.toThrow(PermanentTaskError);
    expect((await kit.getImage.execute(id)).thumbnail).toMatchObject({ status: 'failed', lastError: 'WORKER_LOST', attempts: 3 });
  });

  it('fails permanently when the original is missing', async () => {
    const kit = coreKit();
    const { id } = await uploaded(kit);
    await kit.storage.delete((await kit.getImage.execute(id)).props.originalKey);
    await expect(kit.generate.execute(id, jobContext())).rejects.toThrow(PermanentTaskError);
    expect((await kit.getImage.execute(id)).thumbnail.lastError).toBe('ORIGINAL_MISSING');
  });

  it('returns quietly for an image deleted before the job ran', async () => {
    const kit = coreKit();
    const { id, deleteToken } = await uploaded(kit);
    await kit.deleteImage.execute(id, deleteToken);
    await expect(kit.generate.execute(id, jobContext())).resolves.toBeUndefined();
  });

  it('leaves no renditions behind when the image is deleted while they are rendered', async () => {
    const kit = coreKit();
    const { id, deleteToken } = await uploaded(kit);
    const written: string[] = [];
    const put = kit.storage.put.bind(kit.storage);
    kit.storage.put = async (key, body, options) => {
      await put(key, body, options);
      written.push(key);
    };
    const render = kit.resizer.render.bind(kit.resizer);
    kit.resizer.render = async (bytes, options) => {
      const result = await render(bytes, options);
      await kit.deleteImage.execute(id, deleteToken); // the delete lands while the job renders
      return result;
    };
    await kit.generate.execute(id, jobContext());
    expect(written.filter((k) => k.startsWith('renditions/'))).toHaveLength(1);
    for (const key of written) expect(await kit.storage.get(key)).toBeNull();
  });

  it('a second upload of the same bytes adopts the renditions: no rendering, same objects, own row', async () => {
    const kit = coreKit({ thumbnails: { sizes: [150, 300] } });
    let renders = 0;
    const render = kit.resizer.render.bind(kit.resizer);
    kit.resizer.render = (...args) => (renders++, render(...args));
    const bytes = fakeImageBytes('jpeg', 640, 480);
    const first = await kit.upload.execute({ bytes, filename: 'a.jpg' });
    await kit.generate.execute(first.image.id, jobContext());
    const second = await kit.upload.execute({ bytes, filename: 'b.jpg' });
    expect(second.image.id).not.toBe(first.image.id);
    expect(second.deleteToken).not.toBe(first.deleteToken);
    expect(second.image.props.originalKey).toBe(first.image.props.originalKey);
    await kit.generate.execute(second.image.id, jobContext());
    expect(renders).toBe(1);
    const [a, b] = [await kit.getImage.execute(first.image.id), await kit.getImage.execute(second.image.id)];
    expect(b.thumbnail.status).toBe('ready');
    expect(b.thumbnail.renditions).toEqual(a.thumbnail.renditions);
    expect(b.thumbnail.placeholder).toBe(a.thumbnail.placeholder);

    await kit.deleteImage.execute(first.image.id, first.deleteToken);
    for (const key of b.storageKeys()) expect(await kit.storage.get(key)).not.toBeNull();
    await kit.deleteImage.execute(second.image.id, second.deleteToken);
    for (const key of b.storageKeys()) expect(await kit.storage.get(key)).toBeNull();
  });

  it('concurrent deletes and uploads of the same bytes never leave a row without its objects', async () => {
    const kit = coreKit();
    const bytes = fakeImageBytes('png', 320, 200);
    const first = await kit.upload.execute({ bytes, filename: 'a.png' });
    await kit.generate.execute(first.image.id, jobContext());
    for (let round = 0; round < 20; round++) {
      const [, next] = await Promise.all([
        kit.deleteImage.execute(first.image.id, first.deleteToken).catch(() => undefined),
        kit.upload.execute({ bytes, filename: `${round}.png` }),
      ]);
      await kit.generate.execute(next.image.id, jobContext());
      for (const key of (await kit.getImage.execute(next.image.id)).storageKeys()) expect(await kit.storage.get(key)).not.toBeNull();
      Object.assign(first, next);
    }
  });

  it('removes renditions of sizes no longer configured when regenerating', async () => {
    const first = coreKit({ thumbnails: { sizes: [150, 300] } });
    const { id } = await uploaded(first);
    await first.generate.execute(id, jobContext());
    const old150 = (await first.getImage.execute(id)).rendition(150)!.key;

    const second = coreKit({ storage: first.storage, images: first.images, thumbnails: { sizes: [300, 600] } });
    await second.generate.execute(id, jobContext());
    const image = await second.getImage.execute(id);
    expect(image.thumbnail.renditions.map((r) => r.size)).toEqual([300, 600]);
    expect(await first.storage.get(old150)).toBeNull();
  });
});
