import { describe, expect, it } from 'vitest';
import { DeleteToken } from '../../src/domain/delete-token.js';
import { InvalidParameterError } from '../../src/domain/errors.js';
import { ImageId } from '../../src/domain/image-id.js';
import { pageCursor } from '../../src/domain/page-cursor.js';
import { ThumbnailSize } from '../../src/domain/thumbnail-size.js';

describe('ImageId', () => {
  it('generates 128-bit URL-safe ids that parse back', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => ImageId.generate().value));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(ImageId.parse(id)?.value).toBe(id);
    }
  });

  it.each(['', 'short', 'x'.repeat(23), 'a/b/c/d/e/f/g/h/i/j/k/l', 'ab..cdefghijklmnopqrst', 'ab cdefghijklmnopqrstu'])('rejects %j', (raw) => {
    expect(ImageId.parse(raw)).toBeNull();
  });
});

describe('DeleteToken', () => {
  it('matches only its own plain text', () => {
    const token = DeleteToken.generate();
    expect(token.hash).not.toContain(token.plain);
    expect(DeleteToken.matches(token.plain, token.hash)).toBe(true);
    expect(DeleteToken.matches(DeleteToken.generate().plain, token.hash)).toBe(false);
    expect(DeleteToken.matches('', token.hash)).toBe(false);
    expect(DeleteToken.matches(undefined, token.hash)).toBe(false);
    expect(DeleteToken.matches(token.plain, 'not-hex')).toBe(false);
  });
});

describe('pageCursor', () => {
  it('round-trips and rejects anything it did not make', () => {
    const cursor = { createdAt: new Date('2026-05-01T10:00:00.123Z'), id: ImageId.generate().value };
    expect(pageCursor.decode(pageCursor.encode(cursor))).toEqual(cursor);
    for (const bad of ['', 'abc', Buffer.from('12.x y').toString('base64url'), Buffer.from('x.abc').toString('base64url')]) {
      expect(() => pageCursor.decode(bad)).toThrow(InvalidParameterError);
    }
  });
});

describe('ThumbnailSize', () => {
  it.each([0, 15, 4097, 1.5, Number.NaN])('rejects %s', (edge) => {
    expect(() => ThumbnailSize.of(edge)).toThrow(InvalidParameterError);
  });
});
