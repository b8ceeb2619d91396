/**
 * Lines for the operator (log lines, progress) on stderr, so stdout carries only a command's result.
 * While a progress bar is drawn they are diverted to be printed above it rather than through it.
 */
let diverted: ((line: string) => void) | undefined;

export const notes = {
  write: (line: string): void => {
    if (diverted) diverted(line);
    else process.stderr.write(`${line}\n`);
  },
  /** Sends lines to `to` until called again without it. */
  divert: (to?: (line: string) => void): void => {
    diverted = to;
  },
};
