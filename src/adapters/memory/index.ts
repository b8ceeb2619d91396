/**
 * `imagehost/adapters/memory`: adapters held in process memory. They pass the same contract suites as
 * the real adapters, so they stand in for them in tests (yours too) and in single-process programs
 * that keep nothing across restarts. `imagehost/testing` exports them as well, with the contract suites.
 */
export { FakeImageResizer, fakeImageBytes, fakePlaceholder } from './fake-image-resizer.js';
export { FixedClock } from './fixed-clock.js';
export { InMemoryAttemptLimiter, type InMemoryAttemptLimiterOptions } from './in-memory-attempt-limiter.js';
export { InMemoryImageEvents } from './in-memory-image-events.js';
export { InMemoryImageRepository } from './in-memory-image-repository.js';
export { InMemoryStorageService } from './in-memory-storage-service.js';
export { InMemoryUploadReplays } from './in-memory-upload-replays.js';
export { MemoryLogger, type LogEntry } from './memory-logger.js';
