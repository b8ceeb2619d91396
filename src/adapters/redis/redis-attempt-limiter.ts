import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LimiterUnavailableError } from '../../domain/errors.js';
import type { AttemptLimiter, AttemptRule } from '../../ports/attempt-limiter.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';

export interface RedisAttemptLimiterOptions {
  /** Where Redis is, e.g. `redis://127.0.0.1:6379`. */
  readonly url: string;
  /** Prepended to every key, e.g. `imagehost:attempts:`; every process of one deployment must agree. */
  readonly prefix: string;
  readonly clock: Clock;
  readonly logger?: Logger;
}

/**
 * AttemptLimiter on Redis, shared by every process of a deployment: one sorted set per key whose
 * members are failures scored by their time (from `clock`: keep the hosts' clocks in sync; a few
 * seconds of skew against a 15-minute window does not matter). Each set keeps at most the newest
 * `maxFailures` entries and expires `windowMs` after its last failure, so Redis holds nothing for
 * keys that stopped failing. `recordFailure` is one MULTI (atomic); `blockedFor` one read.
 * When Redis cannot be reached the calls reject with LimiterUnavailableError (after one reconnection
 * attempt): callers fail closed.
 */
export class RedisAttemptLimiter implements AttemptLimiter {
  private readonly redis: Redis;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: RedisAttemptLimiterOptions) {
    this.redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    // Without a listener ioredis prints every failed reconnection to stderr; it reconnects on its own.
    this.redis.on('error', (error: unknown) => options.logger?.warn({ err: error }, 'attempt limiter: Redis connection error'));
  }

  blockedFor(key: string, rule: AttemptRule): Promise<number> {
    return reachable(() => this.readBlockedFor(key, rule));
  }

  recordFailure(key: string, rule: AttemptRule): Promise<void> {
    return reachable(() => this.addFailure(key, rule));
  }

  private async readBlockedFor(key: string, rule: AttemptRule): Promise<number> {
    const now = this.options.clock.now().getTime();
    // Scores above now - windowMs: the failures still inside the window, oldest first.
    const flat = await this.redis.zrangebyscore(this.options.prefix + key, `(${now - rule.windowMs}`, '+inf', 'WITHSCORES');
    const count = flat.length / 2;
    if (count < rule.maxFailures) return 0;
    const deciding = Number(flat[(count - rule.maxFailures) * 2 + 1]);
    return Math.max(1, deciding + rule.windowMs - now);
  }

  private async addFailure(key: string, rule: AttemptRule): Promise<void> {
    const now = this.options.clock.now().getTime();
    const redisKey = this.options.prefix + key;
    const results = await this.redis
      .multi()
      .zremrangebyscore(redisKey, '-inf', now - rule.windowMs)
      .zadd(redisKey, now, `${now}:${randomUUID()}`)
      .zremrangebyrank(redisKey, 0, -(rule.maxFailures + 1))
      .pexpire(redisKey, rule.windowMs)
      .exec();
    const failed = results?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }

  /** Closes the connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.redis.status === 'end') return;
      if (this.redis.status !== 'ready') {
        this.redis.disconnect();
        return;
      }
      await this.redis.quit().catch(() => this.redis.disconnect());
    })();
    return this.closing;
  }
}

async function reachable<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LimiterUnavailableError(`The attempt limiter's Redis did not answer: ${reason}`, { cause: error });
  }
}
