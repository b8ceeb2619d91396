import { pino, type Logger as Pino } from 'pino';

/** JSON logs on stdout; secrets are redacted wherever they appear in logged fields. */
export function createPinoLogger(level: string): Pino {
  return pino({
    level,
    redact: {
      paths: ['deleteToken', 'delete_token', '*.deleteToken', 'headers["x-delete-token"]', 'headers.authorization', 'config.S3_SECRET_KEY'],
      censor: '[redacted]',
    },
  });
}
