import { randomBytes } from 'node:crypto';

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** Unguessable, URL-safe image id: 128 random bits as 22 base64url characters. */
export class ImageId {
  private constructor(readonly value: string) {}

  static generate(): ImageId {
    return new ImageId(randomBytes(16).toString('base64url'));
  }

  /** Returns null for anything that is not a well-formed id (callers treat that as "not found"). */
  static parse(raw: string): ImageId | null {
    return ID_PATTERN.test(raw) ? new ImageId(raw) : null;
  }

  toString(): string {
    return this.value;
  }
}
