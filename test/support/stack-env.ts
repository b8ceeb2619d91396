import { randomBytes } from 'node:crypto';
import type { S3TestServer } from './s3-server.js';

/**
 * What API and worker processes on the production stack are started with: PostgreSQL, an S3 server
 * and BullMQ on Redis, with a queue of their own (`<name>-<random>`) so that runs never share jobs.
 */
export function productionStackEnv(stack: { databaseUrl: string; s3: S3TestServer; redisUrl: string; queue: string }): Record<string, string> {
  return {
    DATABASE_URL: stack.databaseUrl,
    STORAGE: 'minio',
    S3_ENDPOINT: stack.s3.url,
    S3_ACCESS_KEY: stack.s3.accessKey,
    S3_SECRET_KEY: stack.s3.secretKey,
    S3_BUCKET: 'imagehost-e2e',
    QUEUE: 'bullmq',
    REDIS_URL: stack.redisUrl,
    QUEUE_NAME: `${stack.queue}-${randomBytes(6).toString('hex')}`,
  };
}
