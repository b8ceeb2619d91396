import { close, fsync, open, writeFile } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Promises over plain file descriptors, for the storage's hot paths: they skip the FileHandle object
 * (an event emitter with its own close bookkeeping) that node:fs/promises builds for every open.
 */
export const openFd = promisify(open);
/** Given a descriptor, writes all of `data` from the current position. */
export const writeFd = promisify(writeFile);
export const fsyncFd = promisify(fsync);
export const closeFd = promisify(close);
