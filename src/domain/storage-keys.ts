/**
 * Storage keys are content addresses derived from checksums, never from client input: identical bytes
 * are stored once, and every key is deterministic (writing it twice is harmless).
 */
export const storageKeys = {
  original: (checksum: string): string => `originals/${checksum.slice(0, 2)}/${checksum}`,
  /** Renditions depend on the original's bytes and on everything that shapes the output. */
  rendition: (checksum: string, size: number, format: string, quality: number): string =>
    `renditions/${checksum.slice(0, 2)}/${checksum}/${format}-q${quality}-${size}.${format === 'jpeg' ? 'jpg' : format}`,
};
