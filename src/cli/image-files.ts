import { opendir } from 'node:fs/promises';
import path from 'node:path';

/** Whatever is not a regular file or a folder (symbolic links are not followed, so no loop is possible). */
export interface OtherEntry {
  readonly file: string;
  readonly kind: string;
}

/**
 * Every regular file under `root`, depth first in name order (so runs and reports are repeatable),
 * and the entries skipped because they are neither files nor folders.
 */
export async function filesUnder(root: string): Promise<{ files: string[]; others: OtherEntry[] }> {
  const files: string[] = [];
  const others: OtherEntry[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = [];
    for await (const entry of await opendir(dir)) entries.push(entry);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await visit(full);
      else if (entry.isFile()) files.push(full);
      else others.push({ file: full, kind: entry.isSymbolicLink() ? 'symbolic link (not followed)' : 'not a regular file' });
    }
  };
  await visit(root);
  return { files, others };
}
