import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export interface RedisTestServer {
  readonly url: string;
  /** Kills the server (SIGKILL: nothing flushed) and starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Kills the server (SIGKILL: nothing flushed); connections are refused until start(). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (with persistence, the append-only file brings the data back; without, it starts empty). */
  start(): Promise<void>;
  close(): Promise<void>;
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RedisServerOptions {
  /**
   * Default true: an append-only file (fsync on every write), so that a restart keeps the queue, as
   * production Redis should. false: no append-only file and no snapshots, so that every kill loses
   * all data and start() comes back empty (a Redis that lost its data).
   */
  readonly persistence?: boolean;
}

/**
 * A redis-server of its own (the machine's binary) on a free port, by default with an append-only file
 * so that a restart keeps the queue, as production Redis should. Tests may restart it without
 * disturbing the machine's shared Redis.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisTestServer> {
  const persistence = options.persistence ?? true;
  const durability = persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...durability, '--save', ''], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      if (await reachable(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not accept connections on port ${port} within 5 s`);
  };
  const stop = async (signal: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      await stop('SIGKILL');
      await start();
    },
    kill: () => stop('SIGKILL'),
    start,
    async close() {
      await stop('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
