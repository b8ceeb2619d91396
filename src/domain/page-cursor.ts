import { InvalidParameterError } from './errors.js';

/** Position in the newest-first listing: the last item's creation time and id (the tie-breaker). */
export interface PageCursor {
  readonly createdAt: Date;
  readonly id: string;
}

/** Opaque, URL-safe cursor text shared by every ImageRepository implementation. */
export const pageCursor = {
  encode(cursor: PageCursor): string {
    return Buffer.from(`${cursor.createdAt.getTime()}.${cursor.id}`, 'utf8').toString('base64url');
  },

  /** Rejects with InvalidParameterError when the text is not a cursor this service made. */
  decode(text: string): PageCursor {
    const match = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
    if (!match?.[1] || !match[2]) throw new InvalidParameterError('cursor', 'not a cursor from a previous page');
    return { createdAt: new Date(Number(match[1])), id: match[2] };
  },
};
