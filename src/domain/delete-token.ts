import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A delete token: 256 random bits handed to the uploader once. Only its SHA-256 is stored; a fast
 * hash is enough because the token itself has full entropy (nothing to brute-force by dictionary).
 */
export class DeleteToken {
  private constructor(
    readonly plain: string,
    readonly hash: string,
  ) {}

  static generate(): DeleteToken {
    const plain = randomBytes(32).toString('base64url');
    return new DeleteToken(plain, DeleteToken.hashOf(plain));
  }

  static hashOf(plain: string): string {
    return createHash('sha256').update(plain, 'utf8').digest('hex');
  }

  /** Constant-time comparison of a presented token against a stored hash. */
  static matches(presented: string | undefined, storedHash: string): boolean {
    if (!presented) return false;
    const a = Buffer.from(DeleteToken.hashOf(presented), 'hex');
    const b = Buffer.from(storedHash, 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
