import { TASK_TYPES, type TaskHandler, type TaskHandlers, type TaskType } from '../ports/task-scheduler.js';

/**
 * Wraps every handler (logging, metrics …), keeping the set of task types as it was: a missing handler
 * stays missing, so the scheduler's start-up check still names it.
 */
export function wrapTaskHandlers(
  handlers: TaskHandlers,
  wrap: (type: TaskType, handler: TaskHandler<TaskType>) => TaskHandler<TaskType>,
): TaskHandlers {
  const wrapped: Partial<Record<TaskType, TaskHandler<TaskType>>> = {};
  for (const type of TASK_TYPES) {
    const handler = handlers[type] as TaskHandler<TaskType> | undefined;
    if (typeof handler === 'function') wrapped[type] = wrap(type, handler);
  }
  return wrapped as TaskHandlers;
}
