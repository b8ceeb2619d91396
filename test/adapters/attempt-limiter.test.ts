import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/adapters/memory/fixed-clock.js';
import { InMemoryAttemptLimiter } from '../../src/adapters/memory/in-memory-attempt-limiter.js';
import { RedisAttemptLimiter } from '../../src/adapters/redis/redis-attempt-limiter.js';
import { attemptLimiterContract } from '../contracts/attempt-limiter.contract.js';
import { serviceReachable, TEST_REDIS_URL } from '../support/real-services.js';

const redisReachable = await serviceReachable('Redis', TEST_REDIS_URL);
const RULE = { maxFailures: 2, windowMs: 60_000 };

attemptLimiterContract('InMemoryAttemptLimiter', () => {
  const clock = new FixedClock();
  return Promise.resolve({ limiter: new InMemoryAttemptLimiter(clock), clock, close: () => Promise.resolve() });
});

describe('InMemoryAttemptLimiter', () => {
  it('keeps at most maxKeys keys, forgetting the least recently failed first', async () => {
    const clock = new FixedClock();
    const limiter = new InMemoryAttemptLimiter(clock, { maxKeys: 2 });
    for (const key of ['a', 'b', 'a', 'a', 'c']) await limiter.recordFailure(key, RULE);
    expect(limiter.size).toBe(2);
    expect(await limiter.blockedFor('a', RULE)).toBeGreaterThan(0); // touched after b
    expect(await limiter.blockedFor('b', { maxFailures: 1, windowMs: 60_000 })).toBe(0); // evicted
  });

  it('sweeps keys whose window has passed, so idle keys cost no memory', async () => {
    const clock = new FixedClock();
    const limiter = new InMemoryAttemptLimiter(clock);
    for (let i = 0; i < 999; i++) await limiter.recordFailure(`client:${i}`, RULE);
    clock.advance(RULE.windowMs);
    await limiter.recordFailure('client:last', RULE); // the 1000th failure triggers a sweep
    expect(limiter.size).toBe(1);
  });

  it('refuses rules and options that cannot work', async () => {
    const limiter = new InMemoryAttemptLimiter(new FixedClock());
    await expect(limiter.recordFailure('k', { maxFailures: 0, windowMs: 1 })).rejects.toThrow(RangeError);
    await expect(limiter.blockedFor('k', { maxFailures: 1, windowMs: 0.5 })).rejects.toThrow(RangeError);
    expect(() => new InMemoryAttemptLimiter(new FixedClock(), { maxKeys: 0 })).toThrow(RangeError);
  });
});

describe.skipIf(!redisReachable)('RedisAttemptLimiter on Redis', () => {
  attemptLimiterContract('RedisAttemptLimiter', () => {
    const clock = new FixedClock();
    const limiter = new RedisAttemptLimiter({ url: TEST_REDIS_URL, prefix: `imagehost-test:attempts:${randomUUID()}:`, clock });
    return Promise.resolve({ limiter, clock, close: () => limiter.close() });
  });

  it('shares counts between processes (limiters on one prefix), and expires its keys in Redis', async () => {
    const clock = new FixedClock();
    const prefix = `imagehost-test:attempts:${randomUUID()}:`;
    const [a, b] = [0, 1].map(() => new RedisAttemptLimiter({ url: TEST_REDIS_URL, prefix, clock }));
    try {
      await a!.recordFailure('image:x', RULE);
      await b!.recordFailure('image:x', RULE);
      expect(await a!.blockedFor('image:x', RULE)).toBe(RULE.windowMs);
      expect(await b!.blockedFor('image:x', RULE)).toBe(RULE.windowMs);
      const { Redis } = await import('ioredis');
      const redis = new Redis(TEST_REDIS_URL);
      try {
        const ttl = await redis.pttl(`${prefix}image:x`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(RULE.windowMs);
        expect(await redis.zcard(`${prefix}image:x`)).toBe(2);
      } finally {
        await redis.quit();
      }
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('rejects with LIMITER_UNAVAILABLE when Redis cannot be reached, so a caller fails closed', async () => {
    const limiter = new RedisAttemptLimiter({ url: 'redis://127.0.0.1:1', prefix: 'x:', clock: new FixedClock() });
    try {
      await expect(limiter.blockedFor('image:x', RULE)).rejects.toMatchObject({ code: 'LIMITER_UNAVAILABLE' });
      await expect(limiter.recordFailure('image:x', RULE)).rejects.toMatchObject({ code: 'LIMITER_UNAVAILABLE' });
    } finally {
      await limiter.close();
    }
  });
});
