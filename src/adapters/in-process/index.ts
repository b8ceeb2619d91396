/** `imagehost/adapters/in-process`: thumbnail jobs run inside this process (not durable). */
export { InProcessTaskScheduler, type InProcessTaskSchedulerOptions } from './in-process-task-scheduler.js';
