/** `imagehost/adapters/sharp`: probing and resizing with sharp (libvips). */
export { SharpImageResizer, type SharpImageResizerOptions } from './sharp-image-resizer.js';
