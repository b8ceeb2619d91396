/** `imagehost/adapters/redis`: live image events over Redis Pub/Sub, and attempt limits shared across processes. */
export { RedisImageEvents, type RedisImageEventsOptions } from './redis-image-events.js';
export { RedisAttemptLimiter, type RedisAttemptLimiterOptions } from './redis-attempt-limiter.js';
