/** `imagehost/adapters/system`: the real clock. */
export { SystemClock } from './system-clock.js';
