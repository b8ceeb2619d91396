// Embeds the imagehost core in a plain Node program: no HTTP server, no container, no database
// server. Originals and thumbnails are files (imagehost/adapters/fs), metadata is kept in memory
// (imagehost/adapters/memory; imagehost/adapters/mikro-orm keeps it in PostgreSQL or libsql), sharp
// resizes, and the thumbnail job runs in this process, in the background, as in the service.
//
//   node embed.mjs <image file> [storage folder]
//
// Prints the image's metadata as JSON once its thumbnails are made. Exit code 1 if the file is
// refused (the domain error's code is printed) or its thumbnails fail.
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { DomainError, GenerateThumbnails, GetImage, UploadImage } from 'imagehost';
import { FsStorageService } from 'imagehost/adapters/fs';
import { InProcessTaskScheduler } from 'imagehost/adapters/in-process';
import { InMemoryImageEvents, InMemoryImageRepository } from 'imagehost/adapters/memory';
import { LimitedImageResizer, SharpImageResizer } from 'imagehost/adapters/sharp';
import { SystemClock } from 'imagehost/adapters/system';

const [file, folder] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node embed.mjs <image file> [storage folder]\n');
  process.exit(2);
}

// Settings are plain objects; the service reads them from its environment (see the README).
const limits = { maxUploadBytes: 25 * 1024 * 1024, maxPixels: 100_000_000 };
/** @type {import('imagehost').ThumbnailSettings} */
const thumbnails = { sizes: [150, 300], format: 'jpeg', quality: 85, attempts: 3, backoffMs: 500 };
// Any object with info/warn/error(fields, message) is a Logger (a pino logger is one).
/** @type {import('imagehost').Logger} */
const logger = {
  info: () => {},
  warn: (fields, message) => process.stderr.write(`${message} ${JSON.stringify(fields)}\n`),
  error: (fields, message) => process.stderr.write(`${message} ${JSON.stringify(fields)}\n`),
};

// Adapters: one per port.
const storageFolder = folder ?? (await mkdtemp(path.join(os.tmpdir(), 'imagehost-example-')));
const storage = new FsStorageService(storageFolder);
const images = new InMemoryImageRepository();
// As the service runs it: one libvips thread an image (the scheduler runs jobs side by side) and no
// libvips operation cache (a render never repeats an operation). Both are sharp settings for the whole process.
// Two jobs at once, one of them rendering: the other reads its original or writes its renditions meanwhile.
const sharp = new SharpImageResizer({ maxPixels: limits.maxPixels, timeoutSeconds: 30, threadsPerImage: 1, operationCache: false });
const resizer = new LimitedImageResizer(sharp, 1);
const scheduler = new InProcessTaskScheduler({ concurrency: 2, logger });
const events = new InMemoryImageEvents({ logger });
const clock = new SystemClock();

// Use cases: plain classes built from ports.
const upload = new UploadImage(storage, images, resizer, scheduler, events, clock, logger, limits, thumbnails);
const generate = new GenerateThumbnails(storage, images, resizer, events, clock, limits, thumbnails);
const getImage = new GetImage(images);

// The scheduler runs each queued task with its handler; with BullMQ this would be a worker process.
await scheduler.start({ 'generate-thumbnails': ({ imageId }, job) => generate.execute(imageId, job) });
const settled = thumbnailsSettled(events); // listening before the upload, so no event can be missed

try {
  // Answers at once with the image (thumbnails pending) and its delete token; the job runs in the background.
  const { image, deleteToken } = await upload.execute({ bytes: await readFile(file), filename: path.basename(file) });
  const status = await settled(image.id);
  const { props, thumbnail } = await getImage.execute(image.id);
  process.stdout.write(
    `${JSON.stringify(
      {
        id: props.id,
        filename: props.filename,
        content_type: props.contentType,
        size_bytes: props.sizeBytes,
        width: props.width,
        height: props.height,
        checksum_sha256: props.checksum,
        thumbnail_status: thumbnail.status,
        thumbnail_error: thumbnail.lastError,
        placeholder: thumbnail.placeholder,
        renditions: thumbnail.renditions.map((r) => ({ size: r.size, width: r.width, height: r.height, bytes: r.bytes, content_type: r.contentType, key: r.key })),
        delete_token: deleteToken,
        storage_folder: storageFolder,
      },
      null,
      2,
    )}\n`,
  );
  process.exitCode = status === 'ready' ? 0 : 1;
} catch (error) {
  // Refusals are domain errors with a stable code (UNSUPPORTED_MEDIA_TYPE, FILE_TOO_LARGE, …).
  if (!(error instanceof DomainError)) throw error;
  process.stderr.write(`refused: ${error.code}: ${error.message}\n`);
  process.exitCode = 1;
} finally {
  await scheduler.stop();
  await events.close();
}

/**
 * Returns a function resolving with an image's final thumbnail status ('ready' or 'failed'), from the live events.
 * @param {import('imagehost').ImageEvents} imageEvents
 * @returns {(imageId: string) => Promise<string>}
 */
function thumbnailsSettled(imageEvents) {
  /** @type {Map<string, string>} */
  const final = new Map();
  /** @type {Map<string, (status: string) => void>} */
  const waiting = new Map();
  imageEvents.subscribe((event) => {
    if (event.type !== 'thumbnails.updated' || (event.status !== 'ready' && event.status !== 'failed')) return;
    final.set(event.imageId, event.status);
    waiting.get(event.imageId)?.(event.status);
  });
  return (imageId) => {
    const status = final.get(imageId);
    return status ? Promise.resolve(status) : new Promise((resolve) => waiting.set(imageId, resolve));
  };
}
