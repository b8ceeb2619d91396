import { notes } from './notes.js';

export const INTERRUPTED_EXIT_CODE = 130;

/**
 * The first Ctrl-C (SIGINT) or SIGTERM asks a command to stop taking new work and report what it
 * did; a second one exits at once. Returns the signal and the function that stops listening.
 */
export function onInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT_CODE);
    notes.write('imagehost: stopping after the work in flight (interrupt again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
