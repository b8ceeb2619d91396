/** Structured logging, shaped like pino's methods: fields first, then the message. */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** Routine detail (a client that went away midway). Optional: a logger without it drops such lines. */
  debug?(fields: Record<string, unknown>, message: string): void;
}

export const Logger = Symbol.for('imagehost.Logger');
