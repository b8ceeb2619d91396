import { describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/adapters/memory/fixed-clock.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { RegenerateThumbnails, type RegenerateRequest } from '../../src/application/regenerate-thumbnails.js';
import type { ThumbnailSettings } from '../../src/application/settings.js';
import { InvalidParameterError } from '../../src/domain/errors.js';
import type { Image, Rendition } from '../../src/domain/image.js';
import { storageKeys } from '../../src/domain/storage-keys.js';
import { anImage } from '../support/image-builder.js';
import { recordingScheduler } from '../support/recording-scheduler.js';

const SETTINGS: ThumbnailSettings = { sizes: [150, 300], format: 'jpeg', quality: 85, attempts: 3, backoffMs: 10 };
const NOW = new Date('2026-04-01T00:00:00.000Z');

function renditions(image: Image, sizes: readonly number[], format = 'jpeg'): Rendition[] {
  return sizes.map((size) => ({
    size,
    width: size,
    height: size,
    bytes: 100,
    contentType: `image/${format}`,
    key: storageKeys.rendition(image.props.checksum, size, format, 85),
    sha256: 'f'.repeat(64),
  }));
}

/** One image in each state that matters to the selection, named by what it is. */
async function library() {
  const images = new InMemoryImageRepository();
  const ready = (sizes: readonly number[], format?: string) => {
    const image = anImage();
    return image.completeThumbnails(NOW, renditions(image, sizes, format), 'placeholder');
  };
  const states = {
    pending: anImage(),
    processing: anImage().startProcessing(NOW, 1),
    complete: ready([150, 300]),
    lacking300: ready([150]),
    otherFormat: ready([150, 300], 'webp'),
    failed: anImage().failThumbnails(NOW, 'INVALID_IMAGE'),
  };
  for (const image of Object.values(states)) await images.add(image);
  const scheduler = recordingScheduler();
  const regenerate = new RegenerateThumbnails({ images, scheduler, clock: new FixedClock(NOW), settings: SETTINGS });
  const nameOf = new Map(Object.entries(states).map(([name, image]) => [image.id, name]));
  const queued = () => scheduler.calls.map((call) => nameOf.get(call.imageId)).sort();
  return { images, scheduler, regenerate, states, queued };
}

describe('RegenerateThumbnails', () => {
  it.each<[RegenerateRequest, string[]]>([
    [{ select: ['missing'] }, ['lacking300', 'otherFormat', 'pending', 'processing']],
    [{ select: ['missing'], sizes: [150] }, ['otherFormat', 'pending', 'processing']],
    [{ select: ['missing'], sizes: [300] }, ['lacking300', 'otherFormat', 'pending', 'processing']],
    [{ select: ['failed'] }, ['failed']],
    [{ select: ['missing', 'failed'] }, ['failed', 'lacking300', 'otherFormat', 'pending', 'processing']],
    [{ select: ['all'] }, ['complete', 'failed', 'lacking300', 'otherFormat', 'pending', 'processing']],
  ])('%j queues %j', async (request, expected) => {
    const { regenerate, queued } = await library();
    expect(await regenerate.execute(request)).toBe(expected.length);
    expect(queued()).toEqual(expected);
  });

  it('queues as background work under the image job id, and puts a failed image back to pending with a fresh budget', async () => {
    const { regenerate, scheduler, images, states } = await library();
    const heard: Image[] = [];
    await regenerate.execute({ select: ['failed'] }, (image) => heard.push(image));
    expect(scheduler.calls).toEqual([
      { imageId: states.failed.id, options: { jobId: `thumbnails:${states.failed.id}`, attempts: 3, backoffMs: 10, priority: 'background' } },
    ]);
    expect((await images.findById(states.failed.id))?.thumbnail).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
    expect(heard.map((image) => image.thumbnail.status)).toEqual(['pending']);
  });

  it('on a dry run counts the same images and changes nothing', async () => {
    const { regenerate, scheduler, images, states } = await library();
    expect(await regenerate.execute({ select: ['missing', 'failed'], dryRun: true })).toBe(5);
    expect(scheduler.calls).toEqual([]);
    expect((await images.findById(states.failed.id))?.thumbnail.status).toBe('failed');
  });

  it('goes through every page, and stops between pages once its signal aborts', async () => {
    const images = new InMemoryImageRepository();
    const failed = Array.from({ length: 205 }, (_, i) => anImage({ createdAt: new Date(NOW.getTime() + i) }).failThumbnails(NOW, 'X'));
    for (const image of failed) await images.add(image);
    const scheduler = recordingScheduler();
    const regenerate = new RegenerateThumbnails({ images, scheduler, clock: new FixedClock(NOW), settings: SETTINGS });
    const stop = new AbortController();
    expect(await regenerate.execute({ select: ['failed'] }, () => stop.abort(), stop.signal)).toBe(100); // stops after the page it is on
    expect(await regenerate.execute({ select: ['failed'] })).toBe(105);
    expect(new Set(scheduler.calls.map((call) => call.imageId)).size).toBe(205);
    expect(await regenerate.execute({ select: ['failed'] })).toBe(0);
  });

  it.each<[RegenerateRequest, RegExp]>([
    [{ select: [] }, /name at least one of missing, failed, all/],
    [{ select: ['missing'], sizes: [150, 1200] }, /1200 is not configured; the configured sizes are 150, 300/],
    [{ select: ['missing'], sizes: [] }, /no size given/],
  ])('rejects %j', async (request, message) => {
    const { regenerate, scheduler } = await library();
    await expect(regenerate.execute(request)).rejects.toThrow(InvalidParameterError);
    await expect(regenerate.execute(request)).rejects.toThrow(message);
    expect(scheduler.calls).toEqual([]);
  });
});
