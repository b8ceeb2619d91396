import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The part of s3rver's (untyped, CommonJS) API used here. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

export interface S3TestServer {
  /** e.g. `http://127.0.0.1:41234`; use path-style addressing. */
  readonly url: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** Stops the server, dropping open connections, and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server, dropping open connections; connections are refused until start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server, drops open connections and deletes its data directory. */
  close(): Promise<void>;
}

/**
 * Starts s3rver in this process on 127.0.0.1, on a free port, storing into a fresh temp directory.
 * `buckets` are created before it starts listening. s3rver only accepts its own credentials, S3RVER/S3RVER.
 */
export async function startS3Server(options: { buckets?: string[] } = {}): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(tmpdir(), 'imagehost-s3rver-'));
  const configureBuckets = (options.buckets ?? []).map((name) => ({ name }));
  const launch = async (port: number) => {
    const instance = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets });
    return { instance, address: await instance.run() };
  };
  const stop = async (instance: S3rverInstance) => {
    const closed = instance.close();
    // Keep-alive sockets (Node's global agent keeps them) and unread responses would hold close() open.
    instance.httpServer?.closeAllConnections();
    await closed;
  };
  let server: S3rverInstance;
  let port: number;
  try {
    const launched = await launch(0);
    server = launched.instance;
    port = launched.address.port;
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    async restart() {
      await stop(server);
      server = (await launch(port)).instance;
    },
    stop: () => stop(server),
    async start() {
      server = (await launch(port)).instance;
    },
    async close() {
      await stop(server);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
