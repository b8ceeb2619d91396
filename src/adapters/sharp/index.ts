/** `imagehost/adapters/sharp`: probing and resizing with sharp (libvips), and a cap on renders at once for any resizer. */
export { SharpImageResizer, type SharpImageResizerOptions } from './sharp-image-resizer.js';
export { LimitedImageResizer } from './limited-image-resizer.js';
