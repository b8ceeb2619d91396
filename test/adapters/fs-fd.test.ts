import { randomBytes } from 'node:crypto';
import { writev as writevCallback } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeFd, openFd, readWhole, unwritten, writeAllFd, type WriteOnce } from '../../src/adapters/fs/fd.js';

const writev = promisify(writevCallback);

describe('file descriptor helpers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-fd-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('readWhole reads a file of any size in one buffer, an empty one included', async () => {
    for (const size of [0, 1, 512 * 1024 + 3, 9 * 1024 * 1024]) {
      const file = path.join(dir, `r${size}`);
      const bytes = randomBytes(size);
      await writeFile(file, bytes);
      expect((await readWhole(file)).equals(bytes)).toBe(true);
    }
  });

  it('readWhole rejects with ENOENT for a missing file', async () => {
    await expect(readWhole(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writeAllFd writes every part in order, empty parts and an empty list included', async () => {
    const cases: Uint8Array[][] = [
      [],
      [new Uint8Array(0)],
      [Buffer.from('IHS1'), new Uint8Array(0), randomBytes(9 * 1024 * 1024 + 5)],
      [randomBytes(1), randomBytes(70_000), randomBytes(3)],
    ];
    for (const [i, parts] of cases.entries()) {
      const file = path.join(dir, `w${i}`);
      const fd = await openFd(file, 'wx');
      try {
        await writeAllFd(fd, parts);
      } finally {
        await closeFd(fd);
      }
      expect((await readFile(file)).equals(Buffer.concat(parts))).toBe(true);
    }
  });

  it('writeAllFd carries on after short writes until every byte is written, and fails on a write that makes no progress', async () => {
    const parts = [Buffer.from('IHS1'), Buffer.from('0123456789'), Buffer.from('xyz')];
    const file = path.join(dir, 'short');
    const fd = await openFd(file, 'wx');
    const calls: number[] = [];
    // The real writev on the real descriptor, but of 5 bytes at most: a short write every time.
    const fiveAtMost: WriteOnce = (target, left) => {
      calls.push(left.length);
      return writev(target, [Buffer.concat(left).subarray(0, 5)]);
    };
    try {
      await writeAllFd(fd, parts, fiveAtMost);
    } finally {
      await closeFd(fd);
    }
    expect((await readFile(file)).toString()).toBe('IHS10123456789xyz');
    expect(calls).toEqual([3, 2, 2, 1]);
    await expect(writeAllFd(-1, parts, () => Promise.resolve({ bytesWritten: 0 }))).rejects.toThrow(/wrote nothing/);
  });

  it('unwritten leaves what a short write did not reach, splitting the part it stopped in', () => {
    const parts = [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('h')];
    const text = (left: Uint8Array[]) => left.map((part) => Buffer.from(part).toString());
    expect(text(unwritten(parts, 0))).toEqual(['abc', 'defg', 'h']);
    expect(text(unwritten(parts, 2))).toEqual(['c', 'defg', 'h']);
    expect(text(unwritten(parts, 3))).toEqual(['defg', 'h']);
    expect(text(unwritten(parts, 5))).toEqual(['fg', 'h']);
    expect(text(unwritten(parts, 7))).toEqual(['h']);
    expect(unwritten(parts, 8)).toEqual([]);
  });
});
