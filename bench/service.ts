import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { now, wallNow } from './stats.js';

/** The built service, started as `node dist/src/main.js <command>` like `npm start` / `npm run worker` do. */
const ROOT = path.join(import.meta.dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/**
 * The node flags `npm start`, `npm run worker` and the Docker image run the service with: a 128 MiB floor
 * under V8's old-generation limit (see bench/NOTES.md, Tuning). The bench runs its own pipeline and resizer
 * sections under them too, as a worker would run that work.
 */
export const SERVICE_NODE_FLAGS = ['--initial-old-space-size=128'];

/**
 * The glibc malloc settings `npm start`, `npm run worker` and the Docker image run the service with,
 * unless the environment sets them (see bench/NOTES.md, Tuning): two arenas, and blocks of 4 MiB or more
 * always mapped on their own, so that freeing one hands its memory back to the system.
 */
export const SERVICE_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '4194304' };

/** Settings the bench decides per process; a caller's own values for these never leak into a child. */
const OWNED = [
  'PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'STORAGE', 'S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_BUCKET',
  'MIGRATE_ON_START', 'QUEUE', 'REDIS_URL', 'QUEUE_NAME', 'THUMBNAIL_SIZES', 'ADMIN_TOKEN', 'LOG_LEVEL', 'MAX_UPLOAD_BYTES',
];

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly baseUrl: string;
  readonly child: ChildProcess;
  /**
   * Jobs the process has finished so far (done, or failed for good), as its own log lines tell: the
   * "job finished" and "job failed for good" / "job failed; no attempts left" lines every job logs at
   * info. The bench reads those lines anyway, so counting them costs no process anything more.
   */
  jobsFinished(): number;
  /** Calls `listener` at each job the process finishes (see jobsFinished); returns the unsubscribe. */
  onJobFinished(listener: () => void): () => void;
  /** The jobs at once the process runs, as its start-up configuration line gives it (its own default unless WORKER_CONCURRENCY is set). */
  readonly workerConcurrency: number | undefined;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** A job's last log line: it finished, or failed with no retry to come (see withJobLogContext). */
const JOB_FINISHED = /"msg":"job (finished|failed for good|failed; no attempts left)"/;

/** Kills (by pid) every child still running: the bench never leaves a service behind, even on a crash. */
export function killAllChildren(): void {
  for (const child of running) if (child.exitCode === null && child.pid) child.kill('SIGKILL');
}

export interface StartOptions {
  /** Runs the process on this core only (`taskset -c`), as if on a one-core machine; every core when omitted. */
  readonly cpu?: number;
  readonly timeoutMs?: number;
}

/** Starts one service process and resolves once its "… on http://host:port" line names its port. */
export async function startService(name: string, command: 'serve' | 'worker', env: Record<string, string>, { cpu, timeoutMs = 60_000 }: StartOptions = {}): Promise<ServiceProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !OWNED.includes(key)));
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to every service process, to look inside one.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const node = [process.execPath, ...SERVICE_NODE_FLAGS, ...nodeArgs, MAIN, command];
  // taskset (util-linux) sets the CPU affinity and then runs node in its place: same pid, and every
  // thread node starts inherits the one core (os.availableParallelism() reads 1 there).
  const [file, ...args] = cpu === undefined ? node : ['taskset', '--cpu-list', String(cpu), ...node];
  const child = spawn(file!, args, {
    cwd: ROOT,
    env: { ...SERVICE_MALLOC_ENV, ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output: string[] = [];
  let workerConcurrency: number | undefined;
  let jobsFinished = 0;
  const finishListeners = new Set<() => void>();
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
    // Keep reading stdout for the process's whole life, so its log pipe never fills up and blocks it.
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (JOB_FINISHED.test(line)) {
        jobsFinished++;
        for (const listener of finishListeners) listener();
        return;
      }
      if (output.length < 200) output.push(line);
      if (line.includes('"msg":"imagehost configuration"')) {
        workerConcurrency = (JSON.parse(line) as { config?: { workerConcurrency?: number } }).config?.workerConcurrency;
      }
      const found = /"port":(\d+)/.exec(line)?.[1];
      if (found && line.includes(' on http://')) {
        clearTimeout(timer);
        resolve(Number(found));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output.slice(-20).join('\n')}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not be started (${file}): ${error.message}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    name,
    pid: child.pid!,
    child,
    workerConcurrency,
    jobsFinished: () => jobsFinished,
    onJobFinished(listener) {
      finishListeners.add(listener);
      return () => finishListeners.delete(listener);
    },
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface ProcessMemory {
  /** Resident set now, bytes. */
  readonly rss: number;
  /** Peak resident set since the process started (VmHWM), bytes. */
  readonly peak: number;
}

export async function processMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** CPU seconds (user + system) the process has used so far. Linux reports them in ticks of 1/100 s. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Connections for one burst of requests (a load slice), kept alive within it and closed after it:
 * a socket left idle between slices would outlive the server's keep-alive timeout and could be
 * reused just as the server closes it (ECONNRESET on the client, a failure that is not the service's).
 */
export function connectionPool(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/** Odd requests (polling, checks) open a connection each. */
const oneShot = new http.Agent({ keepAlive: false });

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  /** From sending the request to the last byte of the answer, ms. */
  readonly latencyMs: number;
  /** Wall-clock time of the last byte (ms since the epoch, sub-ms precision). */
  readonly doneAt: number;
}

/** One HTTP request to the service on 127.0.0.1 (the only address the bench ever targets), bounded by a timeout. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array; timeoutMs?: number; agent?: http.Agent } = {},
): Promise<HttpAnswer> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') return Promise.reject(new Error(`bench requests go to 127.0.0.1 only, not ${target.hostname}`));
  const started = now();
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? oneShot, timeout: options.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), latencyMs: now() - started, doneAt: wallNow() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs one file as multipart/form-data in the field `file`, as a browser form or curl -F does. */
export function upload(baseUrl: string, data: Uint8Array, filename: string, agent?: http.Agent): Promise<HttpAnswer> {
  const boundary = `----imagehost-bench-${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const body = Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return request(`${baseUrl}/api/v1/images/upload`, {
    method: 'POST',
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(body.length) },
    body,
    agent,
  });
}

export interface JobCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
}

export async function jobCounts(baseUrl: string): Promise<JobCounts> {
  const answer = await request(`${baseUrl}/api/v1/jobs`);
  if (answer.status !== 200) throw new Error(`GET /api/v1/jobs answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  return JSON.parse(answer.body) as JobCounts;
}

/** Rejects at once, naming the service and how to start it, when nothing listens at `url` (redis://, postgres://). */
export async function assertReachable(name: string, url: string, howToStart: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port), timeout: 2000 });
    const settle = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.once('connect', () => settle(true));
    socket.once('timeout', () => settle(false));
    socket.once('error', () => settle(false));
  });
  if (!ok) throw new Error(`${name} is not reachable at ${hostname}:${port}; start it (${howToStart}) and run the bench again`);
}
