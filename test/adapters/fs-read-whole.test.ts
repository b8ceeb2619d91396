import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWhole } from '../../src/adapters/fs/fd.js';

describe('readWhole', () => {
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
});
