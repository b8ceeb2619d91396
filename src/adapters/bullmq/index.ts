/** `imagehost/adapters/bullmq`: durable thumbnail jobs in Redis, run by any number of worker processes. */
export { BullMqTaskScheduler, type BullMqTaskSchedulerOptions } from './bullmq-task-scheduler.js';
