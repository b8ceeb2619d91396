/** `imagehost/adapters/pino`: JSON logs with secrets redacted (a pino logger is an imagehost Logger). */
export { createPinoLogger } from './pino-logger.js';
