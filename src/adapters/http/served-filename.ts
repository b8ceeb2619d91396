import type { ImageFormat } from '../../domain/image-format.js';

/** Extensions a saved file of each format may keep; the first is the one given when it has none of them. */
const EXTENSIONS: Readonly<Record<ImageFormat, readonly string[]>> = {
  jpeg: ['jpg', 'jpeg', 'jpe', 'jfif'],
  png: ['png', 'apng'],
  webp: ['webp'],
  gif: ['gif'],
  avif: ['avif'],
  tiff: ['tif', 'tiff'],
};

/**
 * The name an original is served (and saved) under: the display name, its extension made to match the
 * sniffed format, so a PNG uploaded as `evil.html` is saved as `evil.png`, never as a page a browser
 * would open as HTML from disk.
 */
export function servedFilename(filename: string, format: ImageFormat): string {
  const dot = filename.lastIndexOf('.');
  const extension = dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
  if (EXTENSIONS[format].includes(extension)) return filename;
  const base = dot > 0 ? filename.slice(0, dot) : filename;
  return `${base || 'image'}.${EXTENSIONS[format][0]}`;
}

/**
 * An ASCII-only `filename=` for the Content-Disposition (RFC 6266 Appendix D: no quoted-pairs, no
 * Latin-1, nothing a user agent might percent-decode); whenever it differs from the name, the name
 * itself goes in `filename*` as UTF-8.
 */
export function asciiFallback(filename: string): string {
  return filename.replace(/[^\x20-\x7e]|["\\%]/gu, '_');
}
