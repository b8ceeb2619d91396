/** Storage keys are derived from ids only, never from client input, so they are safe and deterministic. */
export const storageKeys = {
  original: (imageId: string): string => `originals/${imageId}`,
  rendition: (imageId: string, size: number, extension: string): string => `thumbnails/${imageId}/${size}.${extension}`,
};
