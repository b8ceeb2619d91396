import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Middleware } from 'koa';
import type { BullMqTaskScheduler } from './bullmq-task-scheduler.js';
import { QUEUE_DASHBOARD_PATH } from './dashboard-path.js';

/** bull-board's job dashboard for the scheduler's queue, to mount behind the admin token. */
export function queueDashboard(scheduler: BullMqTaskScheduler): { path: string; middleware: Middleware } {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: [new BullMQAdapter(scheduler.dashboardQueue())], serverAdapter });
  return { path: QUEUE_DASHBOARD_PATH, middleware: serverAdapter.registerPlugin() };
}
