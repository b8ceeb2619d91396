/** `imagehost/adapters/fs`: objects as files on the local disk. */
export { FsStorageService } from './fs-storage-service.js';
