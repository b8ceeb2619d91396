/**
 * Where the queue dashboard is mounted, behind the admin token. A module of its own, apart from the
 * dashboard (which loads bull-board), so the wiring and the API document can name the path without it.
 */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';
