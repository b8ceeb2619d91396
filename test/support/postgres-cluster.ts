import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const ROOT = '/usr/lib/postgresql';

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust auth. */
  readonly url: string;
  /** How long initdb took, in ms. */
  readonly initdbMs: number;
  /**
   * Stops the server with `pg_ctl stop`: `fast` closes every connection and shuts down cleanly,
   * `immediate` quits at once as a crash would (the next start replays the WAL). New connections are
   * refused until start().
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server (immediate) if it runs and deletes its data directory. Idempotent. */
  destroy(): Promise<void>;
}

/** The bin directory of the newest PostgreSQL installed under /usr/lib/postgresql (Debian layout), if any. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(ROOT)) return undefined;
  const versions = readdirSync(ROOT)
    .filter((version) => existsSync(path.join(ROOT, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(ROOT, versions[0], 'bin');
}

/**
 * A PostgreSQL cluster of its own: initdb into a fresh temp directory, started on a free loopback
 * port, which a test may stop and start again (a real outage: connections refused) without touching
 * the machine's shared server. PostgreSQL refuses to run as root, so as root every command runs as
 * the `postgres` user (runuser). Durability is off (fsync, initdb --no-sync): the data is scratch,
 * and this keeps initdb about 0.4 s here.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`no PostgreSQL server binaries under ${ROOT} (install postgresql)`);
  const asOwner = (command: string, args: string[]) =>
    process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
  // Created by its owner, so that root's umask and ownership never get in PostgreSQL's way.
  const dir = (await asOwner('mktemp', ['-d', path.join('/tmp', 'imagehost-pg-XXXXXX')])).stdout.trim();
  const data = path.join(dir, 'data');
  const port = await freePort();
  const pgCtl = (...args: string[]) => asOwner(path.join(bin, 'pg_ctl'), ['-D', data, ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const running = () => existsSync(path.join(data, 'postmaster.pid'));
  // If the test process dies without its afterAll, the server must not outlive it.
  const killOnExit = () => {
    try {
      process.kill(Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGQUIT');
    } catch {
      // not running
    }
  };
  const destroy = async () => {
    process.off('exit', killOnExit);
    if (running()) await pgCtl('stop', '-m', 'immediate', '-w').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const started = Date.now();
  try {
    await asOwner(path.join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const initdbMs = Date.now() - started;
    const start = async () => {
      await pgCtl('start', '-w', '-t', '30', '-l', path.join(dir, 'server.log'), '-o', options).catch((error: unknown) => {
        throw new Error(`pg_ctl start failed: ${String(error)}\n${tail(path.join(dir, 'server.log'))}`);
      });
    };
    await start();
    process.once('exit', killOnExit);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      initdbMs,
      async stop(mode = 'fast') {
        await pgCtl('stop', '-m', mode, '-w', '-t', '30');
      },
      start,
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** Whether a scratch cluster can be made here; under CI=true its absence fails the run instead (GUIDE §5). */
export function postgresInstallable(): boolean {
  const ok = postgresBinDir() !== undefined && (process.getuid?.() !== 0 || hasPostgresUser());
  if (!ok && process.env.CI === 'true') throw new Error(`CI=true but no PostgreSQL binaries under ${ROOT} (or no postgres user to run them as root)`);
  if (!ok) console.warn(`[skip] no PostgreSQL binaries under ${ROOT}: tests needing a scratch cluster are skipped`);
  return ok;
}

function hasPostgresUser(): boolean {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
