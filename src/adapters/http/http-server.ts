import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** How long the server waits on a client. Every value in milliseconds. */
export interface HttpServerTimeouts {
  /**
   * Longest time to receive one whole request, headers and body (Node's `requestTimeout`; its
   * default is 300 000). Bounds how long a client trickling its body holds a connection and the
   * memory of its upload. Must allow the largest upload at the slowest uplink you serve.
   */
  readonly requestTimeoutMs: number;
  /** Longest time to receive the request headers (Node's `headersTimeout`; default 60 000). At most requestTimeoutMs. */
  readonly headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open after a response (Node's `keepAliveTimeout`; default 5000). */
  readonly keepAliveTimeoutMs: number;
  /**
   * A connection with no bytes moving either way for this long is closed (Node's `server.timeout`;
   * default 0, never). Cuts off a stalled upload long before requestTimeoutMs. Event streams opt out
   * (they set their socket's timeout to 0).
   */
  readonly idleTimeoutMs: number;
  /** How often Node checks the request and header deadlines (Node's `connectionsCheckingInterval`; default 30 000). */
  readonly checkIntervalMs?: number;
}

const DEFAULT_CHECK_INTERVAL_MS = 1000;

/** What answers each request, e.g. a Koa app's `callback()` (whose promise settles when the app is done with it). */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

/**
 * An HTTP server for `handler` (e.g. a Koa app's `callback()`) with the given timeouts. A request
 * that overruns a deadline is answered `408` by Node itself (when nothing was sent yet) and its
 * connection closed; a connection idle too long is destroyed.
 */
export function createHttpServer(handler: RequestHandler, timeouts: HttpServerTimeouts): Server {
  const { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs, idleTimeoutMs } = timeouts;
  if (requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new RangeError(`headersTimeoutMs (${headersTimeoutMs}) must not exceed requestTimeoutMs (${requestTimeoutMs})`);
  }
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: headersTimeoutMs,
      keepAliveTimeout: keepAliveTimeoutMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    },
    handler,
  );
  server.setTimeout(idleTimeoutMs);
  return server;
}
