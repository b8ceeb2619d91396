import { randomUUID } from 'node:crypto';
import type { Dir } from 'node:fs';
import { mkdir, open, opendir, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StorageUnavailableError } from '../../domain/errors.js';
import type { ByteRange, StorageService, StoredObjectStream } from '../../ports/storage-service.js';
import { DirectorySyncs } from './directory-syncs.js';
import { closeFd, fsyncFd, openFd, readWhole, writeAllFd } from './fd.js';
import { decodeHeader, encodeHeader, headerLength, PREAMBLE_LENGTH } from './object-file.js';

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const TEMP_FILE = /^~[0-9a-f-]{36}\.tmp$/;
/** A put writes its temp file in well under a second; one this old belongs to a put that died. */
const ABANDONED_TEMP_MS = 60 * 60 * 1000;
/** Absence, as the port defines it: nothing at the path, or a path through a file rather than a directory. */
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * A StorageService on the local disk: the object under key `a/b/c.jpg` is the file `<rootDir>/a/b/c.jpg`.
 *
 * Each file holds a small header then the bytes: `IHS1`, a 4-byte big-endian header length, a UTF-8 JSON
 * header `{"contentType": …}`. One file per object (rather than a sidecar) means a put replaces bytes and
 * content type together in one atomic rename, and no key can collide with a metadata file.
 *
 * `put` writes a temp file in the target directory, fsyncs it, renames it over the target and fsyncs the
 * directories it changed (concurrent puts into one folder share its fsync), so it resolves once the
 * object is durable and readers never see a partial object. A put into a folder that a concurrent put
 * has just created also waits until its creator has synced it into its parent. Temp file names contain `~`, a character
 * no key may use.
 *
 * Keys are checked (segments of `[A-Za-z0-9._-]`, no `.`/`..`, no empty segment) and an invalid key is
 * rejected with an Error: keys come from the core, so this is defence in depth against path traversal.
 * Limitation of a file tree: one key cannot be both an object and a prefix of another (`a` and `a/b`).
 * A delete removes the folders it leaves empty, except top-level ones; a put whose folder is removed
 * that way before its temp file exists creates the folder again.
 *
 * Errors of the disk itself (full, read-only, failing, out of file descriptors) reject with
 * StorageUnavailableError, the system error as `cause`.
 *
 * `list` walks the folders lazily (one open directory per level) and yields only files whose names are
 * valid keys: temp files (and anything else someone dropped under the root) are never listed. A temp
 * file it passes that is over an hour old was left by a put that died (a killed process): it is removed,
 * so the orphan sweep, which lists everything, clears those too.
 */
export class FsStorageService implements StorageService {
  private readonly rootDir: string;
  private readonly directories: DirectorySyncs;
  /** Folders puts have created, each with when its creator has synced it into its parent. */
  private readonly newFolders = new Map<string, Promise<void>>();
  /** Folders being made now: concurrent puts into one new folder (an image's renditions) make it once. */
  private readonly making = new Map<string, Promise<void>>();

  /** `fsyncDirectory` replaces the directory fsync, for tests that control its timing. */
  constructor(rootDir: string, options: { fsyncDirectory?: (dir: string) => Promise<void> } = {}) {
    this.rootDir = path.resolve(rootDir);
    this.directories = new DirectorySyncs(options.fsyncDirectory);
  }

  put(key: string, body: Uint8Array, options: { contentType: string }): Promise<void> {
    return onDisk('put', key, () => this.write(key, body, options.contentType));
  }

  get(key: string): Promise<Uint8Array | null> {
    return onDisk('get', key, () => this.read(key));
  }

  getStream(key: string, range?: ByteRange): Promise<StoredObjectStream | null> {
    return onDisk('getStream', key, () => this.openStream(key, range));
  }

  delete(key: string): Promise<void> {
    return onDisk('delete', key, () => this.remove(key));
  }

  async *list(prefix: string): AsyncIterable<string> {
    const slash = prefix.lastIndexOf('/');
    const folder = slash < 0 ? '' : prefix.slice(0, slash);
    try {
      yield* this.walk(folder, folder === '' ? this.rootDir : this.pathOf(folder), prefix);
    } catch (error) {
      throw diskFailure('list', prefix, error);
    }
  }

  private async write(key: string, body: Uint8Array, contentType: string): Promise<void> {
    const target = this.pathOf(key);
    const dir = path.dirname(target);
    const temp = path.join(dir, `~${randomUUID()}.tmp`);
    const created: string[] = [];
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    let written = false;
    try {
      const fd = await createTempFile(temp, () =>
        this.makeFolder(dir, (folder) => {
          created.push(folder);
          this.newFolders.set(folder, settled);
        }),
      );
      await writeAndRename(fd, temp, target, [encodeHeader(contentType), body]);
      written = true;
    } finally {
      // Up to the parent of the highest folder this put made (after a failure too, best effort: a folder
      // it made is never left unsynced).
      const top = created.reduce<string | undefined>((a, b) => (a === undefined || b.length < a.length ? b : a), undefined);
      const syncing = this.syncDirectories(dir, top === undefined ? dir : path.dirname(top));
      try {
        await (written ? syncing : syncing.catch(() => undefined));
      } finally {
        settle();
        for (const folder of created) this.newFolders.delete(folder);
      }
    }
    // A folder on the way that a concurrent put made, and has not synced into its parent yet: resolving
    // before it has would let a power cut take the folder, and this object with it.
    await Promise.all(this.unsyncedAncestors(dir));
  }

  /**
   * Makes `dir` and its missing parents. Only the put that makes them is told which (`onCreated`, at
   * once); one that finds them being made waits for that, and later for their syncs (see write()).
   */
  private makeFolder(dir: string, onCreated: (folder: string) => void): Promise<void> {
    let making = this.making.get(dir);
    if (!making) {
      making = mkdir(dir, { recursive: true })
        .then((created) => {
          if (created !== undefined) onCreated(created);
        })
        .finally(() => this.making.delete(dir));
      this.making.set(dir, making);
    }
    return making;
  }

  private unsyncedAncestors(dir: string): Promise<void>[] {
    const pending: Promise<void>[] = [];
    // All the way up: the first put may have created the root itself, and folders above it.
    for (let folder = dir; ; folder = path.dirname(folder)) {
      const settled = this.newFolders.get(folder);
      if (settled) pending.push(settled);
      if (folder === path.dirname(folder)) return pending;
    }
  }

  private async read(key: string): Promise<Uint8Array | null> {
    const file = await readWhole(this.pathOf(key)).catch((error: unknown) => {
      if (MISSING.has(errorCode(error))) return null;
      throw error;
    });
    return file && file.subarray(decodeHeader(file, key).dataOffset);
  }

  private async openStream(key: string, range?: ByteRange): Promise<StoredObjectStream | null> {
    const handle = await this.openObject(key);
    if (!handle) return null;
    try {
      // Header, size and stream all come from one open handle, so a concurrent put cannot mix versions.
      const { size } = await handle.stat();
      const preamble = Buffer.alloc(PREAMBLE_LENGTH);
      await handle.read(preamble, 0, PREAMBLE_LENGTH, 0);
      const headerEnd = PREAMBLE_LENGTH + headerLength(preamble, key);
      const header = Buffer.alloc(headerEnd);
      const { bytesRead } = await handle.read(header, 0, headerEnd, 0);
      const { contentType, dataOffset } = decodeHeader(header.subarray(0, bytesRead), key);
      const bounds = range ? { start: dataOffset + range.start, end: dataOffset + range.end } : { start: dataOffset };
      return { body: handle.createReadStream(bounds), size: size - dataOffset, contentType };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private async remove(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!MISSING.has(errorCode(error))) throw error;
    }
    await this.pruneEmptyFolders(key);
  }

  /** Keys under `folder` (a key-shaped path, '' for the root) that start with `prefix`, descending only where some can. */
  private async *walk(folder: string, dirPath: string, prefix: string): AsyncGenerator<string> {
    let dir: Dir;
    try {
      dir = await opendir(dirPath);
    } catch (error) {
      if (MISSING.has(errorCode(error))) return; // nothing stored there yet, or pruned meanwhile
      throw error;
    }
    // Iterating a Dir closes it at the end, on break and on error.
    for await (const entry of dir) {
      if (TEMP_FILE.test(entry.name)) await removeIfAbandoned(path.join(dirPath, entry.name));
      if (!SEGMENT.test(entry.name)) continue; // temp files (`~…`) and strays that are no key
      const key = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isFile() && key.startsWith(prefix)) yield key;
      else if (entry.isDirectory() && (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`))) {
        yield* this.walk(key, path.join(dirPath, entry.name), prefix);
      }
    }
  }

  /**
   * Removes folders the delete left empty (`thumbnails/<id>/`), so deleted images leave nothing behind.
   * Top-level folders stay: a concurrent put into them must never lose its parent.
   */
  private async pruneEmptyFolders(key: string): Promise<void> {
    const segments = key.split('/').slice(0, -1);
    for (let depth = segments.length; depth >= 2; depth--) {
      try {
        await rmdir(path.join(this.rootDir, ...segments.slice(0, depth)));
      } catch {
        return; // not empty, already gone or busy: all fine to leave
      }
    }
  }

  /** The object's file opened for reading, or null when there is no object (a directory is not one). */
  private async openObject(key: string): Promise<FileHandle | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (MISSING.has(errorCode(error))) return null;
      throw error;
    }
    const isFile = await handle.stat().then((stats) => stats.isFile(), async (error: unknown) => {
      await handle.close();
      throw error;
    });
    if (isFile) return handle;
    await handle.close();
    return null;
  }

  /** fsyncs `from` and each ancestor up to `to`, so new directory entries (the file, new folders) survive a crash. */
  private async syncDirectories(from: string, to: string): Promise<void> {
    for (let dir = from; ; dir = path.dirname(dir)) {
      await this.directories.sync(dir);
      if (dir === to || dir === path.dirname(dir)) return;
    }
  }

  private pathOf(key: string): string {
    const segments = key.split('/');
    const bad = segments.find((s) => !SEGMENT.test(s) || s === '.' || s === '..');
    if (bad !== undefined) {
      throw new Error(`Invalid storage key ${JSON.stringify(key)}: segment ${JSON.stringify(bad)} is not allowed`);
    }
    const resolved = path.resolve(this.rootDir, ...segments);
    const relative = path.relative(this.rootDir, resolved);
    if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
      throw new Error(`Invalid storage key ${JSON.stringify(key)}: it resolves outside the storage root`);
    }
    return resolved;
  }
}

/**
 * Creates the temp file, and first its folder (`makeFolder`) when that is not there. A delete of the last
 * object in a folder shared by several keys (`originals/ab/`) may remove it in between; then both steps
 * run again. Once the temp file exists its folder is not empty, so it can no longer go away.
 */
async function createTempFile(temp: string, makeFolder: () => Promise<void>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      // The folder is there for all but the first put into it: tried without mkdir first (one call, not three).
      if (attempt > 1) await makeFolder();
      return await openFd(temp, 'wx');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || attempt >= 5) throw error;
    }
  }
}

/** Plain file descriptors, not FileHandles: puts are the hot path of every thumbnail job. */
async function writeAndRename(fd: number, temp: string, target: string, parts: readonly Uint8Array[]): Promise<void> {
  try {
    try {
      await writeAllFd(fd, parts);
      await fsyncFd(fd);
    } finally {
      await closeFd(fd);
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Best-effort: a temp file whose put died long ago goes; a live one (or one gone meanwhile) stays untouched. */
async function removeIfAbandoned(file: string): Promise<void> {
  try {
    if (Date.now() - (await stat(file)).mtimeMs > ABANDONED_TEMP_MS) await unlink(file);
  } catch {
    // already gone, or not ours to remove: the next sweep looks again
  }
}

async function onDisk<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw diskFailure(operation, key, error);
  }
}

/** A system error (`EIO`, `ENOSPC`, `EACCES`, `EMFILE`…) as StorageUnavailableError; anything else as it is. */
function diskFailure(operation: string, key: string, error: unknown): unknown {
  const code = errorCode(error);
  if (!/^E[A-Z]+$/.test(code)) return error;
  return new StorageUnavailableError(`File storage ${operation} of ${JSON.stringify(key)} failed: ${code}`, { cause: error });
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}
