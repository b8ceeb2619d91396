import { pino, type Logger as Pino } from 'pino';

/** JSON logs on stdout; secrets are redacted wherever they appear in logged fields. */
export function createPinoLogger(level: string): Pino {
  // Synchronous writes: the last lines before process.exit (a failed start, a shutdown) must not be lost.
  return pino({
    level,
    redact: {
      paths: ['deleteToken', 'delete_token', '*.deleteToken', 'headers["x-delete-token"]', 'headers.authorization', 'config.S3_SECRET_KEY'],
      censor: '[redacted]',
    },
  }, pino.destination({ dest: 1, sync: true }));
}
