import type { Logger } from '../ports/logger.js';
import { notes } from './notes.js';

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const SECRET = /token|secret|password|authorization/i;

/**
 * The Logger of the command-line tools: one readable line per entry on stderr (never JSON on stdout,
 * which carries the command's result), at or above LOG_LEVEL. Secret-looking fields are redacted.
 */
export function createConsoleLogger(level: string, write: (line: string) => void = notes.write): Logger {
  const threshold = LEVELS[level] ?? 30;
  const log = (name: string) => (fields: Record<string, unknown>, message: string) => {
    if ((LEVELS[name] ?? 0) >= threshold) write(`imagehost ${name}: ${message}${describe(fields)}`);
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

function describe(fields: Record<string, unknown>): string {
  const parts = Object.entries(fields).map(([key, value]) => {
    if (SECRET.test(key)) return `${key}=[redacted]`;
    if (value instanceof Error) return `${key}=${JSON.stringify(value.message)}`;
    return `${key}=${typeof value === 'string' ? value : json(value)}`;
  });
  return parts.length > 0 ? ` (${parts.join(' ')})` : '';
}

/** A log line must never throw (a cycle, a BigInt): such values are shown as String() shows them. */
function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
