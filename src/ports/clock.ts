/** The time source, so that use cases can be tested with a fixed clock. */
export interface Clock {
  now(): Date;
}

export const Clock = Symbol.for('imagehost.Clock');
