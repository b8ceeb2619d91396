import { execFile } from 'node:child_process';
import { copyFile, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { makeEdgeCases } from './corpus-edge-cases.js';

/**
 * The bench corpus: real photographs from Debian's wallpaper packages (installed on first run into
 * bench/.corpus/, which git ignores), plus a few edge cases generated from one of them with sharp.
 * Tests never use it.
 */

const run = promisify(execFile);
export const CORPUS_DIR = path.join(import.meta.dirname, '.corpus');
const MANIFEST = path.join(CORPUS_DIR, 'manifest.json');
/** Bump when the selection rules change, so an old corpus is rebuilt. */
const CORPUS_VERSION = 2;
/** Debian packages holding photographs (mate: nature/; plasma: the 2560×1600 KDE photo set). */
const PACKAGES = ['mate-backgrounds', 'plasma-workspace-wallpapers'];
const FULL_PHOTOS = 22;
const FULL_PNGS = 2;
const QUICK_PHOTOS = 7;
const QUICK_PNGS = 1;
const MAX_BYTES = 8 * 1024 * 1024;
const MAX_PIXELS = 16_000_000;
const MAX_PNG_PIXELS = 4_200_000;

export type CorpusKind = 'photo' | 'png' | 'edge';

export interface CorpusEntry {
  readonly name: string;
  readonly kind: CorpusKind;
  readonly source: string;
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

export interface CorpusImage extends CorpusEntry {
  /** Where the image is on disk. */
  readonly file: string;
  readonly data: Uint8Array;
}

interface Manifest {
  readonly version: number;
  readonly entries: CorpusEntry[];
}

/** The corpus for this run: 24 real images (8 with --quick) and the generated edge cases, bytes in memory. */
export async function loadCorpus(quick: boolean, log: (line: string) => void): Promise<CorpusImage[]> {
  const manifest = await ensureCorpus(log);
  const photos = manifest.entries.filter((e) => e.kind === 'photo').slice(0, quick ? QUICK_PHOTOS : FULL_PHOTOS);
  const pngs = manifest.entries.filter((e) => e.kind === 'png').slice(0, quick ? QUICK_PNGS : FULL_PNGS);
  const edges = manifest.entries.filter((e) => e.kind === 'edge');
  return Promise.all(
    [...photos, ...pngs, ...edges].map(async (entry) => {
      const file = path.join(CORPUS_DIR, 'images', entry.name);
      return { ...entry, file, data: new Uint8Array(await readFile(file)) };
    }),
  );
}

async function ensureCorpus(log: (line: string) => void): Promise<Manifest> {
  const existing = await readFile(MANIFEST, 'utf8').then((text) => JSON.parse(text) as Manifest, () => null);
  if (existing?.version === CORPUS_VERSION) return existing;
  log(`corpus: installing into ${path.relative(process.cwd(), CORPUS_DIR)}/ (first run; Debian packages ${PACKAGES.join(', ')})`);
  await rm(CORPUS_DIR, { recursive: true, force: true });
  const debs = path.join(CORPUS_DIR, 'debs');
  const extracted = path.join(CORPUS_DIR, 'extracted');
  await mkdir(debs, { recursive: true });
  await mkdir(extracted, { recursive: true });
  await downloadPackages(debs, log);
  for (const deb of await readdir(debs)) await run('dpkg-deb', ['-x', path.join(debs, deb), extracted]);
  const selected = await selectImages(extracted);
  const images = path.join(CORPUS_DIR, 'images');
  await mkdir(images, { recursive: true });
  const entries: CorpusEntry[] = [];
  for (const candidate of selected) {
    const name = `${candidate.kind}-${candidate.label}${path.extname(candidate.file).toLowerCase()}`;
    await copyFile(candidate.file, path.join(images, name));
    entries.push({ name, kind: candidate.kind, source: path.relative(extracted, candidate.file), format: candidate.format, width: candidate.width, height: candidate.height, bytes: candidate.bytes });
  }
  const firstPhoto = selected.find((c) => c.kind === 'photo');
  if (!firstPhoto) throw new Error('corpus: the wallpaper packages held no usable photograph');
  entries.push(...(await makeEdgeCases(await readFile(firstPhoto.file), images)));
  // Only the selection is kept: the packages and their other files are not needed again.
  await rm(debs, { recursive: true, force: true });
  await rm(extracted, { recursive: true, force: true });
  const manifest: Manifest = { version: CORPUS_VERSION, entries };
  await writeFile(MANIFEST, JSON.stringify(manifest, null, 2));
  log(`corpus: ${entries.length} images (${entries.filter((e) => e.kind === 'photo').length} photographs)`);
  return manifest;
}

async function downloadPackages(dir: string, log: (line: string) => void): Promise<void> {
  const fail = (why: string): never => {
    throw new Error(
      `corpus: ${why}. The bench needs real photographs from Debian's wallpaper packages (${PACKAGES.join(', ')}) ` +
        'fetched with apt-get; it does not fall back to synthetic images. Run it on a Debian or Ubuntu machine with apt, ' +
        'or copy a bench/.corpus/ folder made by a run on one.',
    );
  };
  const known = async (): Promise<boolean> => {
    const shown = await run('apt-cache', ['show', ...PACKAGES]).catch(() => null);
    return PACKAGES.every((name) => shown?.stdout.includes(`Package: ${name}\n`) ?? false);
  };
  if (!(await run('apt-get', ['--version']).then(() => true, () => false))) fail('apt-get is not available here');
  if (!(await known())) {
    log('corpus: apt-cache does not know the packages yet; running apt-get update');
    await run('apt-get', ['update'], { maxBuffer: 16 * 1024 * 1024 }).catch((error: unknown) => fail(`apt-get update failed (${String(error)})`));
    if (!(await known())) fail(`apt-cache show ${PACKAGES.join(' ')} finds nothing`);
  }
  await run('apt-get', ['download', ...PACKAGES], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }).catch((error: unknown) =>
    fail(`apt-get download failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`),
  );
}

interface Candidate {
  readonly file: string;
  readonly kind: 'photo' | 'png';
  readonly label: string;
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

/** Photographs (mate nature/, plasma's 2560×1600 photo set) interleaved by package, then two PNG wallpapers. */
async function selectImages(root: string): Promise<Candidate[]> {
  const files = await listImageFiles(root);
  const described = (await Promise.all(files.map(describe))).filter((c): c is Candidate => c !== null);
  const mate = described.filter((c) => c.kind === 'photo' && c.file.includes('/mate/nature/'));
  const plasma = described.filter((c) => c.kind === 'photo' && c.file.includes('/wallpapers/') && c.width === 2560 && c.height === 1600);
  const photos: Candidate[] = [];
  for (let i = 0; i < Math.max(mate.length, plasma.length); i++) photos.push(...[mate[i], plasma[i]].filter((c): c is Candidate => c !== undefined));
  const pngs = described.filter((c) => c.kind === 'png' && c.width * c.height <= MAX_PNG_PIXELS && !c.file.includes('images_dark'));
  return [...photos.slice(0, FULL_PHOTOS), ...pngs.slice(0, FULL_PNGS)];
}

async function listImageFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const file = path.join(entry.parentPath, entry.name);
    if (!/\.(jpe?g|png)$/i.test(entry.name) || /screenshot/i.test(entry.name)) continue;
    // Plasma links its smaller sizes to one file: keep regular files only.
    const stat = await lstat(file);
    if (stat.isFile() && stat.size > 0 && stat.size <= MAX_BYTES) files.push(file);
  }
  return files.sort();
}

async function describe(file: string): Promise<Candidate | null> {
  const meta = await sharp(file).metadata().catch(() => null);
  if (!meta || !(meta.format === 'jpeg' || meta.format === 'png') || meta.width * meta.height > MAX_PIXELS) return null;
  const parts = file.split(path.sep);
  const label = (parts.includes('contents') ? parts[parts.indexOf('contents') - 1] : path.basename(file, path.extname(file))) ?? 'image';
  const bytes = (await lstat(file)).size;
  return { file, kind: meta.format === 'jpeg' ? 'photo' : 'png', label, format: meta.format, width: meta.width, height: meta.height, bytes };
}
