import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields added to every log line written while a request or a job runs (ids only: never secrets). */
export type LogBindings = Readonly<Record<string, string | number | boolean>>;

const EMPTY: LogBindings = Object.freeze({});
const storage = new AsyncLocalStorage<LogBindings>();

/**
 * Runs `fn` (and everything it awaits or schedules) with `bindings` added to the current log context,
 * so loggers built at start-up (and injected into use cases) still tag each line with its request or
 * job. With `replace`, the outer bindings are dropped: a job must not inherit the request id of
 * whatever request happened to wake the scheduler.
 */
export function runWithLogContext<T>(bindings: LogBindings, fn: () => T, options: { replace?: boolean } = {}): T {
  const merged = options.replace ? { ...bindings } : { ...currentLogContext(), ...bindings };
  return storage.run(Object.freeze(merged), fn);
}

/** The bindings in force here; empty outside any request or job. */
export function currentLogContext(): LogBindings {
  return storage.getStore() ?? EMPTY;
}
