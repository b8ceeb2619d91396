import { request } from 'node:http';

export interface ChunkedBody {
  readonly contentType: string;
  /** Sent first. */
  readonly head: string;
  /** Repeated, with back-pressure, until `fillerBytes` have gone. */
  readonly filler: Buffer;
  readonly fillerBytes: number;
  /** Sent last. */
  readonly tail: string | Buffer;
}

/**
 * POSTs a body with chunked transfer encoding (no Content-Length, so the server learns its size only
 * by reading it) and resolves with the status as soon as the server answers, sent in full or not.
 */
export function postChunked(url: string, { contentType, head, filler, fillerBytes, tail }: ChunkedBody): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write(head);
    let sent = 0;
    const pump = () => {
      while (sent < fillerBytes) {
        sent += filler.length;
        if (!req.write(filler)) return req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}
