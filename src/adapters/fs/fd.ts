import { close, fstat, fsync, open, read, writev } from 'node:fs';
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
const writevFd = promisify(writev);

/** One writev: how many bytes of `parts` it wrote, from the first on. */
export type WriteOnce = (fd: number, parts: readonly Uint8Array[]) => Promise<{ bytesWritten: number }>;

/**
 * Writes all of `parts`, in order, from the current position: one writev for a file's worth, more only
 * where the kernel writes less. Gathered, not joined first: a put of a 25-MiB original no longer copies
 * it on the event loop into a second buffer as large. `writeOnce` is the writev itself (tests pass one
 * that writes less, which a regular file on a local disk hardly ever does).
 */
export async function writeAllFd(fd: number, parts: readonly Uint8Array[], writeOnce: WriteOnce = writevFd): Promise<void> {
  let left = parts.filter((part) => part.byteLength > 0);
  while (left.length > 0) {
    const { bytesWritten } = await writeOnce(fd, left);
    // A regular file's write makes progress or fails; never spin on one that does neither.
    if (bytesWritten === 0) throw new Error(`writev wrote nothing of ${left.length} part(s)`);
    left = unwritten(left, bytesWritten);
  }
}

/** What is left of `parts` once the first `written` bytes of them are written. */
export function unwritten(parts: readonly Uint8Array[], written: number): Uint8Array[] {
  const left: Uint8Array[] = [];
  let skip = written;
  for (const part of parts) {
    if (skip >= part.byteLength) skip -= part.byteLength;
    else {
      left.push(skip === 0 ? part : part.subarray(skip));
      skip = 0;
    }
  }
  return left;
}

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
