import { close, fstat, fsync, open, read, writeFile } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Promises over plain file descriptors, for the storage's hot paths: they skip the FileHandle object
 * (an event emitter with its own close bookkeeping) that node:fs/promises builds for every open, and
 * each call is one trip to libuv's thread pool, so the paths below make as few calls as they can.
 */
export const openFd = promisify(open);
export const fsyncFd = promisify(fsync);
export const closeFd = promisify(close);
const fstatFd = promisify(fstat);
const readFd = promisify(read);

/** Given a descriptor, writes all of `data` from the current position (one write for a file's worth). */
export const writeFd = promisify(writeFile);

/**
 * The whole file in one buffer: open, fstat, reads until the size fstat gave (one read, unless the
 * kernel returns less), close. Objects are never written in place (a put renames a new file over the
 * old one, and the open descriptor keeps the file it opened), so that size is the file's. fs.readFile
 * reads in 512-KiB pieces instead, one thread-pool trip each.
 */
export async function readWhole(file: string): Promise<Buffer> {
  const fd = await openFd(file, 'r');
  try {
    const { size } = await fstatFd(fd);
    const buffer = Buffer.allocUnsafe(size);
    let length = 0;
    while (length < size) {
      const { bytesRead } = await readFd(fd, buffer, length, size - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await closeFd(fd);
  }
}
