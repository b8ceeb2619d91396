import { request } from 'node:http';

export interface ChunkedBody {
  readonly contentType: string;
  /** Sent first. */
  readonly head: string;
  /** Repeated, with back-pressure, until `fillerBytes` have gone (or the server has answered). */
  readonly filler: Buffer;
  readonly fillerBytes: number;
  /** Sent last. */
  readonly tail: string | Buffer;
}

export interface ChunkedAnswer {
  readonly status: number;
  /** The `error.code` of a JSON error body, or null. */
  readonly code: string | null;
  /** Whether the whole body (tail included) had been flushed to the socket when the answer arrived. */
  readonly sentInFull: boolean;
  /** Body bytes (head, filler, tail) written before the answer arrived. */
  readonly bytesSent: number;
}

/**
 * POSTs a body with chunked transfer encoding (no Content-Length, so the server learns its size only
 * by reading it) and resolves once the server has answered, with the answer and how much of the body
 * had gone by then. Sending stops as soon as the answer arrives; a connection the server cuts after
 * answering is not an error.
 */
export function postChunked(url: string, { contentType, head, filler, fillerBytes, tail }: ChunkedBody): Promise<ChunkedAnswer> {
  return new Promise<ChunkedAnswer>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' } });
    let sent = 0;
    let sentInFull = false;
    let answered = false;
    req.on('finish', () => (sentInFull = true));
    req.on('response', (res) => {
      answered = true;
      const [status, early] = [res.statusCode ?? 0, { sentInFull, bytesSent: sent }];
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        req.destroy();
        let code: string | null = null;
        try {
          code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string } }).error?.code ?? null;
        } catch {
          // not JSON: no code
        }
        resolve({ status, code, ...early });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.write(head);
    sent += Buffer.byteLength(head);
    const pump = () => {
      while (!answered && sent < Buffer.byteLength(head) + fillerBytes) {
        sent += filler.length;
        if (!req.write(filler)) return req.once('drain', pump);
      }
      if (answered) return;
      sent += Buffer.byteLength(tail);
      req.end(tail);
    };
    pump();
  });
}
