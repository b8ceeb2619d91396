import { DomainError } from './errors.js';

/**
 * Too many failed attempts (wrong delete tokens) for this image or from this client recently: the
 * attempt was refused without being checked. `retryAfterMs` says when the next one may be made.
 */
export class TooManyAttemptsError extends DomainError {
  readonly code = 'TOO_MANY_ATTEMPTS';
  constructor(readonly retryAfterMs: number) {
    super(`Too many wrong delete tokens; try again in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}
