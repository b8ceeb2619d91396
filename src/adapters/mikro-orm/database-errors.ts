import { ConnectionException, LockWaitTimeoutException } from '@mikro-orm/core';
import { DatabaseUnavailableError } from '../../domain/errors.js';

/** Network errors of the socket to the database server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * PostgreSQL SQLSTATEs of a server going away or refusing work for now: class 08 (connection exception),
 * 53300 too_many_connections, 57P01–57P03 (shutting down, crashed, starting up). SQLite/libsql: a file
 * locked by another process, a failing or full disk.
 */
const SERVER_CODES = /^(08...|53300|57P0[123]|SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN)(_.*)?)$/;

/** pg's own errors for a socket that closed under it carry no code. */
const CLOSED_CONNECTION = /Connection terminated|not queryable|Timeout acquiring a connection/;

/** Whether `error` says the database could not be reached or lost the connection, rather than that the statement was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionException || error instanceof LockWaitTimeoutException) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.test(code))) return true;
  return CLOSED_CONNECTION.test(error.message);
}

/** Runs a database call, turning an unreachable or lost database into DatabaseUnavailableError (cause kept). */
export async function databaseCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(`The database is unavailable: ${reason}`, { cause: error });
  }
}
