import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The bench's own process only (services never run this): `gc` without starting node with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Collects the bench process's garbage now, then waits for V8's helper threads to finish sweeping.
 * Measure 6 calls it before each timed window: the untimed uploads just before leave the bench ~100
 * MiB of buffers and responses to collect, and collected inside the window (0.7 ms of CPU a job in a
 * profile) it took cores from the two workers being measured, while with one worker it had a core to
 * itself.
 */
export async function collectOwnGarbage(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 200));
}
