import { InvalidParameterError } from '../../domain/errors.js';

/** A query-string whole number, or undefined when absent. */
export function optionalInteger(raw: unknown, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) {
    throw new InvalidParameterError(name, 'must be a positive whole number');
  }
  return Number(raw);
}
