import cliProgress from 'cli-progress';
import { notes } from './notes.js';

/** One counter of a command's progress, e.g. files imported or thumbnail jobs finished. */
export interface ProgressCounter {
  update(value: number, total: number): void;
}

/** A command's progress on stderr: bars on a terminal, otherwise a plain line now and then. */
export interface Progress {
  counter(label: string): ProgressCounter;
  /** Draws or prints the final state and stops. Idempotent. */
  stop(): void;
}

/** How often the plain (non-terminal) progress line is printed. */
const PLAIN_EVERY_MS = 5000;

export function startProgress(title: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? barProgress(stream) : plainProgress(title);
}

function barProgress(stream: NodeJS.WriteStream): Progress {
  const bars = new cliProgress.MultiBar(
    // The cursor stays visible: a second Ctrl-C exits at once, and must not leave the terminal without one.
    { stream, format: '{label} {bar} {value}/{total} | {percentage}% | ETA {eta_formatted}', etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  notes.divert((line) => bars.log(`${line}\n`));
  let stopped = false;
  return {
    counter(label) {
      // A bar with a total of 0 would show NaN%: it starts at 1 and shows the real total once known.
      const bar = bars.create(1, 0, { label: label.padEnd(10) });
      return { update: (value, total) => (bar.setTotal(Math.max(total, 1)), bar.update(value)) };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bars.update(); // prints the lines logged since the last redraw, which stop() would drop
      bars.stop();
      notes.divert();
    },
  };
}

function plainProgress(title: string): Progress {
  const counters = new Map<string, { value: number; total: number }>();
  const line = () => {
    const parts = [...counters].map(([label, { value, total }]) => `${label} ${value}/${total}`);
    notes.write(`${title}: ${parts.join(', ')}`);
  };
  const timer = setInterval(line, PLAIN_EVERY_MS).unref();
  let stopped = false;
  return {
    counter(label) {
      const state = { value: 0, total: 0 };
      counters.set(label, state);
      return { update: (value, total) => Object.assign(state, { value, total }) };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (counters.size > 0) line();
    },
  };
}
