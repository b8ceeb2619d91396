import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuplicateImageError } from '../../domain/errors.js';
import { InvalidParameterError } from '../../domain/errors.js';
import type { Image, ThumbnailStatus } from '../../domain/image.js';
import type { ImageRepository } from '../../ports/image-repository.js';
import { aProcessedImage, anImage } from '../image-builder.js';

export interface ImageRepositorySubject {
  readonly repository: ImageRepository;
  close(): Promise<void>;
}

/** The behaviour every ImageRepository must have. `factory` returns an empty repository each time. */
export function imageRepositoryContract(name: string, factory: () => Promise<ImageRepositorySubject>): void {
  describe(`${name} (ImageRepository contract)`, () => {
    let subject: ImageRepositorySubject | undefined;
    let repository: ImageRepository;

    beforeEach(async () => {
      subject = await factory();
      repository = subject.repository;
    });

    afterEach(async () => {
      await subject?.close();
      subject = undefined;
    });

    /** Adds images whose createdAt are `offsets` seconds after a base time; returns them newest first. */
    async function addAt(offsets: readonly number[]): Promise<Image[]> {
      const base = Date.parse('2026-05-01T00:00:00.000Z');
      const images = offsets.map((s) => anImage({ createdAt: new Date(base + s * 1000 + 7) }));
      for (const image of images) await repository.add(image);
      return newestFirst(images);
    }

    async function listAll(limit: number): Promise<{ pages: string[][]; cursors: (string | null)[] }> {
      const pages: string[][] = [];
      const cursors: (string | null)[] = [];
      let cursor: string | null = null;
      do {
        const page = await repository.list({ limit, cursor });
        pages.push(page.items.map((image) => image.id));
        cursors.push(page.nextCursor);
        cursor = page.nextCursor;
      } while (cursor !== null && pages.length < 20);
      return { pages, cursors };
    }

    describe('add and findById', () => {
      it('round-trips a freshly created image: nulls, pending state, empty renditions, version 1', async () => {
        const image = anImage({ createdAt: new Date('2026-01-31T23:59:59.001Z') });
        await repository.add(image);
        const found = await repository.findById(image.id);
        expect(found?.props).toEqual(image.props);
        expect(found?.props.createdAt.getTime()).toBe(image.props.createdAt.getTime());
        expect(found?.props.thumbnail.nextRetryAt).toBeNull();
        expect(found?.props.thumbnail.lastError).toBeNull();
      });

      it('round-trips every field of an image in a late state, dates to the millisecond', async () => {
        const image = aProcessedImage();
        await repository.add(image);
        const found = await repository.findById(image.id);
        expect(found?.props).toEqual(image.props);
        expect(found?.props.updatedAt.getTime()).toBe(image.props.updatedAt.getTime());
        expect(found?.props.thumbnail.nextRetryAt?.getTime()).toBe(image.props.thumbnail.nextRetryAt?.getTime());
      });

      it('returns null for an id it does not hold', async () => {
        await repository.add(anImage());
        expect(await repository.findById(anImage().id)).toBeNull();
      });

      it('rejects a second add with the same id and keeps the first', async () => {
        const image = anImage({ filename: 'first.png' });
        await repository.add(image);
        await expect(repository.add(anImage({ id: image.id, filename: 'second.png' }))).rejects.toThrow(DuplicateImageError);
        expect((await repository.findById(image.id))?.props.filename).toBe('first.png');
      });
    });

    describe('update', () => {
      it('stores the new state and returns it with version + 1', async () => {
        const image = anImage();
        await repository.add(image);
        const changed = image.startProcessing(new Date('2026-03-01T12:00:05.456Z'), 1);
        const updated = await repository.update(changed);
        expect(updated?.props).toEqual({ ...changed.props, version: 2 });
        expect((await repository.findById(image.id))?.props).toEqual(updated?.props);
      });

      it('accepts a chain of updates, each from the image the previous one returned', async () => {
        const image = anImage();
        await repository.add(image);
        const processing = await repository.update(image.startProcessing(new Date('2026-03-01T12:00:01Z'), 1));
        if (!processing) throw new Error('first update was refused');
        const renditions = aProcessedImage().thumbnail.renditions;
        const ready = await repository.update(processing.completeThumbnails(new Date('2026-03-01T12:00:02Z'), renditions, 'YJqGPQZnd4eIh4d3h4eIeHiHeAAAAAAA'));
        expect(ready?.props.version).toBe(3);
        expect((await repository.findById(image.id))?.props).toEqual(ready?.props);
      });

      it('returns null when the row was deleted, and does not bring it back', async () => {
        const image = anImage();
        await repository.add(image);
        await repository.delete(image.id);
        expect(await repository.update(image.startProcessing(new Date(), 1))).toBeNull();
        expect(await repository.findById(image.id)).toBeNull();
      });

      it('returns null for a stale version: of two updates from the same loaded image only the first lands', async () => {
        const image = anImage();
        await repository.add(image);
        const loaded = await repository.findById(image.id);
        if (!loaded) throw new Error('not found');
        const first = await repository.update(loaded.startProcessing(new Date('2026-03-01T12:00:01Z'), 1));
        const second = await repository.update(loaded.failThumbnails(new Date('2026-03-01T12:00:02Z'), 'INVALID_IMAGE'));
        expect(first?.props.version).toBe(2);
        expect(second).toBeNull();
        expect((await repository.findById(image.id))?.props).toEqual(first?.props);
      });

      it('lets exactly one of several concurrent updates from the same version win', async () => {
        const image = anImage();
        await repository.add(image);
        const results = await Promise.all(
          [1, 2, 3, 4, 5].map((attempt) => repository.update(image.startProcessing(new Date(), attempt))),
        );
        const winners = results.filter((result): result is Image => result !== null);
        expect(winners).toHaveLength(1);
        expect((await repository.findById(image.id))?.props).toEqual(winners[0]?.props);
      });
    });

    describe('delete', () => {
      it('returns true when it removed the row, then false (idempotent)', async () => {
        const image = anImage();
        const other = anImage();
        await repository.add(image);
        await repository.add(other);
        expect(await repository.delete(image.id)).toBe(true);
        expect(await repository.findById(image.id)).toBeNull();
        expect(await repository.delete(image.id)).toBe(false);
        expect(await repository.findById(other.id)).not.toBeNull();
      });

      it('returns true to exactly one of several concurrent deletes of the same id', async () => {
        const image = anImage();
        await repository.add(image);
        const results = await Promise.all([1, 2, 3, 4, 5].map(() => repository.delete(image.id)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('findByChecksum and withChecksumLock', () => {
      it('finds every image with the same original bytes, and only those', async () => {
        const shared = 'a'.repeat(64);
        const twins = [anImage({ checksum: shared }), anImage({ checksum: shared })];
        for (const image of [...twins, anImage({ checksum: 'b'.repeat(64) })]) await repository.add(image);
        const found = await repository.findByChecksum(shared);
        expect(found.map((image) => image.id).sort()).toEqual(twins.map((image) => image.id).sort());
        expect(found[0]?.props.checksum).toBe(shared);
        expect(await repository.findByChecksum('c'.repeat(64))).toEqual([]);
      });

      it('runs work for one checksum one at a time, other checksums alongside, and passes results and errors through', async () => {
        const order: string[] = [];
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const first = repository.withChecksumLock('a'.repeat(64), async () => {
          order.push('first:start');
          await gate;
          order.push('first:end');
          return 1;
        });
        const second = repository.withChecksumLock('a'.repeat(64), () => {
          order.push('second');
          return Promise.resolve(2);
        });
        const other = await repository.withChecksumLock('b'.repeat(64), () => Promise.resolve('other'));
        expect(other).toBe('other');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(order).toEqual(['first:start']);
        release();
        expect(await Promise.all([first, second])).toEqual([1, 2]);
        expect(order).toEqual(['first:start', 'first:end', 'second']);
        await expect(repository.withChecksumLock('a'.repeat(64), () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
        expect(await repository.withChecksumLock('a'.repeat(64), () => Promise.resolve('after'))).toBe('after');
      });
    });

    describe('findStale', () => {
      const t = (seconds: number) => new Date(Date.parse('2026-05-01T00:00:00.000Z') + seconds * 1000);
      const horizon = t(100);
      const pendingAt = async (seconds: number) => {
        const image = anImage({ createdAt: t(seconds) });
        await repository.add(image);
        return image;
      };
      const moved = async (image: Image, next: (image: Image) => Image) => {
        const stored = await repository.update(next(image));
        if (!stored) throw new Error('update was refused');
        return stored;
      };
      const ids = (images: readonly Image[]) => images.map((image) => image.id);
      const stale = (statuses: ThumbnailStatus[], limit = 100) => repository.findStale({ statuses, updatedBefore: horizon, limit });

      it('finds pending and processing images quiet since before the horizon, oldest first, at most limit', async () => {
        expect(await stale(['pending', 'processing'])).toEqual([]);
        const old = await pendingAt(10);
        const older = await moved(await pendingAt(90), (image) => image.startProcessing(t(5), 1));
        const ties = [await pendingAt(7), await pendingAt(7)].sort((a, b) => (a.id < b.id ? -1 : 1));
        await pendingAt(100); // exactly at the horizon: not before it
        await pendingAt(150);
        await moved(await pendingAt(1), (image) => image.failThumbnails(t(2), 'INVALID_IMAGE'));
        await moved(await pendingAt(3), (image) => image.completeThumbnails(t(4), aProcessedImage().thumbnail.renditions, 'placeholder'));

        const found = await stale(['pending', 'processing']);
        expect(ids(found)).toEqual([older.id, ...ids(ties), old.id]);
        expect(found[0]?.props).toEqual(older.props);
        expect(ids(await stale(['processing']))).toEqual([older.id]);
        expect(ids(await stale(['pending'], 2))).toEqual(ids(ties));
        expect(await stale([])).toEqual([]);
      });

      it('leaves out a pending image whose retry is still due, and finds it once the retry is as overdue', async () => {
        const waiting = await moved(await pendingAt(1), (image) => image.scheduleRetry(t(2), 'UNEXPECTED_ERROR', t(100)));
        const overdue = await moved(await pendingAt(3), (image) => image.scheduleRetry(t(4), 'UNEXPECTED_ERROR', t(99)));
        expect(ids(await stale(['pending']))).toEqual([overdue.id]);
        const later = await repository.findStale({ statuses: ['pending'], updatedBefore: t(101), limit: 10 });
        expect(ids(later)).toEqual([waiting.id, overdue.id]);
      });
    });

    describe('list', () => {
      it('returns an empty last page when there is nothing', async () => {
        expect(await repository.list({ limit: 10, cursor: null })).toEqual({ items: [], nextCursor: null });
      });

      it('lists newest first, breaking ties on createdAt by id descending', async () => {
        const expected = await addAt([5, 1, 3, 3, 3, 9, 1]);
        const page = await repository.list({ limit: 100, cursor: null });
        expect(page.items.map((image) => image.id)).toEqual(expected.map((image) => image.id));
        expect(page.items[0]?.props).toEqual(expected[0]?.props);
        expect(page.nextCursor).toBeNull();
      });

      it('pages through 7 images 3 at a time: 3, 3, 1, and no cursor after the last page', async () => {
        const expected = await addAt([0, 1, 2, 2, 4, 5, 2]);
        const { pages, cursors } = await listAll(3);
        expect(pages.map((ids) => ids.length)).toEqual([3, 3, 1]);
        expect(pages.flat()).toEqual(expected.map((image) => image.id));
        expect(cursors[0]).toEqual(expect.any(String));
        expect(cursors[1]).toEqual(expect.any(String));
        expect(cursors[2]).toBeNull();
      });

      it('gives no cursor when the page holds exactly the remaining images', async () => {
        await addAt([1, 2, 3]);
        const page = await repository.list({ limit: 3, cursor: null });
        expect(page.items).toHaveLength(3);
        expect(page.nextCursor).toBeNull();
      });

      it('keeps a cursor valid after images of an earlier page, its own included, are deleted', async () => {
        const expected = await addAt([0, 1, 2, 3, 3, 5, 6]);
        const first = await repository.list({ limit: 3, cursor: null });
        for (const image of first.items.slice(1)) expect(await repository.delete(image.id)).toBe(true);
        const second = await repository.list({ limit: 3, cursor: first.nextCursor });
        expect(second.items.map((image) => image.id)).toEqual(expected.slice(3, 6).map((image) => image.id));
      });

      it('filters by thumbnail status, paging through only the matching images', async () => {
        const images = await addAt([1, 2, 3, 4, 5]);
        const now = new Date('2026-03-03T00:00:00.000Z');
        for (const image of images.slice(0, 3)) {
          expect(await repository.update(image.failThumbnails(now, 'INVALID_IMAGE'))).not.toBeNull();
        }
        const first = await repository.list({ limit: 2, cursor: null, thumbnailStatus: 'failed' });
        const second = await repository.list({ limit: 2, cursor: first.nextCursor, thumbnailStatus: 'failed' });
        expect([...first.items, ...second.items].map((image) => image.id)).toEqual(images.slice(0, 3).map((image) => image.id));
        expect(second.nextCursor).toBeNull();
        expect(second.items[0]?.thumbnail).toMatchObject({ status: 'failed', lastError: 'INVALID_IMAGE' });
        const pending = await repository.list({ limit: 10, cursor: null, thumbnailStatus: 'pending' });
        expect(pending.items.map((image) => image.id)).toEqual(images.slice(3).map((image) => image.id));
        expect((await repository.list({ limit: 10, cursor: null, thumbnailStatus: 'ready' })).items).toEqual([]);
      });

      it('rejects a malformed cursor with InvalidParameterError', async () => {
        await addAt([1]);
        await expect(repository.list({ limit: 3, cursor: 'not a cursor' })).rejects.toThrow(InvalidParameterError);
        await expect(repository.list({ limit: 3, cursor: 'bm9wZQ' })).rejects.toThrow(InvalidParameterError);
      });
    });
  });
}

function newestFirst(images: readonly Image[]): Image[] {
  return [...images].sort((a, b) => {
    const byTime = b.props.createdAt.getTime() - a.props.createdAt.getTime();
    if (byTime !== 0) return byTime;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}
