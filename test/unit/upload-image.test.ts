import { describe, expect, it } from 'vitest';
import { sanitizeFilename } from '../../src/application/upload-image.js';
import { fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { DeleteToken } from '../../src/domain/delete-token.js';
import {
  EmptyFileError,
  FileTooLargeError,
  ImageTooLargeError,
  InvalidImageError,
  UnsupportedMediaTypeError,
} from '../../src/domain/errors.js';
import { ImageId } from '../../src/domain/image-id.js';
import { InMemoryImageRepository } from '../../src/adapters/memory/in-memory-image-repository.js';
import { coreKit } from '../support/core-kit.js';
import { recordingScheduler } from '../support/recording-scheduler.js';

describe('UploadImage', () => {
  it('stores the original, records a pending image and queues its thumbnails', async () => {
    const kit = coreKit();
    const bytes = fakeImageBytes('png', 640, 480);
    const { image, deleteToken } = await kit.upload.execute({ bytes, filename: 'cat.png' });

    expect(ImageId.parse(image.id)).not.toBeNull();
    expect(image.props).toMatchObject({ filename: 'cat.png', format: 'png', contentType: 'image/png', width: 640, height: 480 });
    expect(image.props.sizeBytes).toBe(bytes.byteLength);
    expect(image.thumbnail.status).toBe('pending');
    expect(await kit.storage.get(image.props.originalKey)).toEqual(bytes);
    expect((await kit.images.findById(image.id))?.props).toEqual(image.props);
    expect(await kit.scheduler.stats()).toMatchObject({ waiting: 1 });
    expect(DeleteToken.matches(deleteToken, image.props.deleteTokenHash)).toBe(true);
  });

  it('keeps only a hash of a high-entropy delete token', async () => {
    const kit = coreKit();
    const { image, deleteToken } = await kit.upload.execute({ bytes: fakeImageBytes('jpeg', 10, 10), filename: 'a.jpg' });
    expect(Buffer.from(deleteToken, 'base64url').byteLength).toBeGreaterThanOrEqual(16);
    expect(JSON.stringify(image.props)).not.toContain(deleteToken);
  });

  it('rejects empty files, oversized files, unsupported and unreadable images without storing anything', async () => {
    const kit = coreKit({ limits: { maxUploadBytes: 100 } });
    await expect(kit.upload.execute({ bytes: new Uint8Array(), filename: 'x' })).rejects.toThrow(EmptyFileError);
    await expect(kit.upload.execute({ bytes: new Uint8Array(101), filename: 'x' })).rejects.toThrow(FileTooLargeError);
    await expect(kit.upload.execute({ bytes: Buffer.from('<svg/>'), filename: 'x.png' })).rejects.toThrow(UnsupportedMediaTypeError);
    await expect(kit.upload.execute({ bytes: Buffer.from('FAKEIMG:png:axb'), filename: 'x' })).rejects.toThrow(InvalidImageError);
    expect((await kit.listImages.execute({})).items).toHaveLength(0);
    expect(await kit.scheduler.stats()).toMatchObject({ waiting: 0 });
  });

  it('rejects more pixels than the limit from the header alone', async () => {
    const kit = coreKit({ limits: { maxPixels: 1000 } });
    await expect(kit.upload.execute({ bytes: fakeImageBytes('png', 100, 11), filename: 'big.png' })).rejects.toThrow(ImageTooLargeError);
    await expect(kit.upload.execute({ bytes: fakeImageBytes('png', 100, 10), filename: 'ok.png' })).resolves.toBeDefined();
  });

  it('removes the stored original when the row cannot be written', async () => {
    const images = new InMemoryImageRepository();
    images.add = () => Promise.reject(new Error('database down'));
    const kit = coreKit({ images });
    const written: string[] = [];
    const put = kit.storage.put.bind(kit.storage);
    kit.storage.put = (key, body, options) => (written.push(key), put(key, body, options));
    await expect(kit.upload.execute({ bytes: fakeImageBytes('png', 10, 10), filename: 'a.png' })).rejects.toThrow('database down');
    expect(written).toHaveLength(1);
    expect(await kit.storage.get(written[0]!)).toBeNull();
  });

  it('queues thumbnails at normal priority, or as background work when asked (bulk imports)', async () => {
    const scheduler = recordingScheduler();
    const kit = coreKit({ scheduler });
    await kit.upload.execute({ bytes: fakeImageBytes('png', 64, 48), filename: 'live.png' });
    await kit.upload.execute({ bytes: fakeImageBytes('png', 64, 49), filename: 'bulk.png', priority: 'background' });
    expect(scheduler.calls.map(({ options }) => options.priority)).toEqual(['normal', 'background']);
  });

  it('answers the upload even when the scheduler is down, and says so in the log', async () => {
    const kit = coreKit();
    kit.scheduler.schedule = () => Promise.reject(new Error('queue down'));
    const { image } = await kit.upload.execute({ bytes: fakeImageBytes('png', 10, 10), filename: 'a.png' });
    expect(image.thumbnail.status).toBe('pending');
    expect(kit.logger.entries.some((e) => e.level === 'error' && e.fields.imageId === image.id)).toBe(true);
  });
});

describe('sanitizeFilename', () => {
  it.each([
    ['photo.jpg', 'photo.jpg'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\cat.png', 'cat.png'],
    ['evil\u202Egnp.exe', 'evilgnp.exe'],
    ['tab\tand\nnewline.png', 'tabandnewline.png'],
    ['..', 'image'],
    ['', 'image'],
    ['dir/', 'image'],
  ])('%j becomes %j', (raw, expected) => {
    expect(sanitizeFilename(raw)).toBe(expected);
  });

  it('bounds the length to 255 characters', () => {
    expect([...sanitizeFilename('é'.repeat(1000))]).toHaveLength(255);
  });
});
