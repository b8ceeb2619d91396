/**
 * `imagehost/testing`: what you need to test code built on imagehost, and to prove a new adapter.
 *
 * - The in-memory adapters (also at `imagehost/adapters/memory`): fast, real implementations of the
 *   ports that pass the same contract suites as the production adapters.
 * - One contract suite per port: call it from a vitest test file with a factory that builds a fresh
 *   instance of your adapter, and it registers the tests every implementation of that port must pass:
 *
 *   ```ts
 *   import { storageServiceContract } from 'imagehost/testing';
 *   storageServiceContract('MyStorage', async () => ({ storage: new MyStorage(), close: async () => {} }));
 *   ```
 *
 *   The suites import `vitest` (an optional peer dependency of this package): import this entry point
 *   from test files only.
 * - Builders of domain objects in a given state (`anImage`, `aProcessedImage`).
 */
export * from '../adapters/memory/index.js';
export { aProcessedImage, anImage } from './image-builder.js';
export { attemptLimiterContract, type AttemptLimiterSubject } from './contracts/attempt-limiter.contract.js';
export { created, deleted, imageEventsContract, Recorder, thumbnails, type ImageEventsSubject } from './contracts/image-events.contract.js';
export { imageRepositoryContract, type ImageRepositorySubject } from './contracts/image-repository.contract.js';
export {
  imageResizerContract,
  type ImageResizerFactory,
  type ImageResizerFixtures,
  type ImageResizerSubject,
} from './contracts/image-resizer.contract.js';
export { storageServiceContract, type StorageServiceSubject } from './contracts/storage-service.contract.js';
export {
  Harness,
  schedule,
  taskSchedulerContract,
  type Gate,
  type TaskSchedulerFactory,
  type TaskSchedulerSubject,
} from './contracts/task-scheduler.contract.js';
export { uploadReplaysContract, type UploadReplaysSubject } from './contracts/upload-replays.contract.js';
