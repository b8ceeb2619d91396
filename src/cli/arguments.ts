export const EXIT_OK = 0;
export const EXIT_FAILURES = 1;
export const EXIT_USAGE = 2;

/** A command line that cannot be run as given: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** Every command takes `--help`/`-h`. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Runs a node:util parseArgs call, turning what it refuses (unknown option, missing value …) into a UsageError. */
export function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** A whole number from `min` to `max`, or a UsageError naming the option. */
export function integerOption(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** A comma-separated list of whole numbers (e.g. `150,300`), or a UsageError naming the option. */
export function integerListOption(raw: string | undefined, name: string): number[] | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(,\d+)*$/.test(raw)) throw new UsageError(`--${name} must be a comma-separated list of whole numbers, e.g. 150,300; got "${raw}"`);
  return [...new Set(raw.split(',').map(Number))];
}
