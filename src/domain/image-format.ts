/** The formats imagehost accepts, keyed by their canonical media type. */
export const IMAGE_FORMATS = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
} as const;

export type ImageFormat = keyof typeof IMAGE_FORMATS;

export function isImageFormat(value: string): value is ImageFormat {
  return Object.hasOwn(IMAGE_FORMATS, value);
}

export function mediaTypeOf(format: ImageFormat): string {
  return IMAGE_FORMATS[format];
}
