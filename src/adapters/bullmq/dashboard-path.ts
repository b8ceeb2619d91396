/** Where the queue dashboard is mounted, behind the admin token. Apart from the dashboard, which loads bull-board. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';
