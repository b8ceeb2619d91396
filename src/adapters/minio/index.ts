/** `imagehost/adapters/minio`: objects in MinIO or any S3-compatible store. */
export { MinioStorageService, type MinioStorageOptions } from './minio-storage-service.js';
