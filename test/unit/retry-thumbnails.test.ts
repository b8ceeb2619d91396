import { describe, expect, it } from 'vitest';
import { FakeImageResizer, fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { ImageNotFoundError, InvalidImageError } from '../../src/domain/errors.js';
import { coreKit, jobContext } from '../support/core-kit.js';
import { recordingScheduler } from '../support/recording-scheduler.js';

async function failedImage(kit: ReturnType<typeof coreKit>): Promise<string> {
  const { image } = await kit.upload.execute({ bytes: fakeImageBytes('png', 64, 64), filename: 'x.png' });
  await kit.generate.execute(image.id, jobContext(1, 1)).catch(() => undefined);
  return image.id;
}

describe('RetryThumbnails', () => {
  it('puts a failed image back to pending with a fresh budget and queues it at normal priority', async () => {
    const resizer = new FakeImageResizer();
    const render = resizer.render.bind(resizer);
    resizer.render = () => Promise.reject(new InvalidImageError('broken'));
    const scheduler = recordingScheduler();
    const kit = coreKit({ resizer, scheduler });
    const id = await failedImage(kit);
    expect((await kit.getImage.execute(id)).thumbnail).toMatchObject({ status: 'failed', attempts: 1 });

    const retried = await kit.retry.execute(id);
    expect(retried.thumbnail).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
    expect(scheduler.calls.at(-1)).toEqual({ imageId: id, options: expect.objectContaining({ jobId: `thumbnails:${id}`, priority: 'normal' }) as unknown });

    resizer.render = render;
    await kit.generate.execute(id, jobContext());
    expect((await kit.getImage.execute(id)).thumbnail.status).toBe('ready');
    const calls = scheduler.calls.length;
    await kit.retry.execute(id);
    expect(scheduler.calls).toHaveLength(calls);
  });

  it('answers not found for unknown ids', async () => {
    await expect(coreKit().retry.execute('AAAAAAAAAAAAAAAAAAAAAA')).rejects.toThrow(ImageNotFoundError);
  });
});

describe('RetryFailedThumbnails', () => {
  it('queues every failed image, across pages, as background work, and nothing else', async () => {
    const resizer = new FakeImageResizer();
    resizer.render = () => Promise.reject(new InvalidImageError('broken'));
    const scheduler = recordingScheduler();
    const kit = coreKit({ resizer, scheduler });
    const failed: string[] = [];
    for (let i = 0; i < 105; i++) {
      failed.push(await failedImage(kit));
      kit.clock.advance(10);
    }
    await kit.upload.execute({ bytes: fakeImageBytes('png', 8, 8), filename: 'pending.png' });
    scheduler.calls.length = 0;

    expect(await kit.retryFailed.execute()).toBe(105);
    expect(scheduler.calls.map((c) => c.imageId).sort()).toEqual([...failed].sort());
    expect(new Set(scheduler.calls.map((c) => c.options.priority))).toEqual(new Set(['background']));
    expect((await kit.listImages.execute({ thumbnailStatus: 'failed' })).items).toEqual([]);
    expect(await kit.retryFailed.execute()).toBe(0);
  });
});
