import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  /** Every stdout line so far (JSON log lines). */
  readonly lines: string[];
  /** Sends SIGTERM to the whole process group and resolves with the exit code once every process in it has closed its output. */
  stop(): Promise<number | null>;
}

/**
 * Starts imagehost the way the README does (`npm start` by default) and resolves once its
 * "… on http://host:port" log line names the port. The child is killed if it does not come up in time.
 */
export async function startService(env: Record<string, string>, command: string[] = ['npm', 'start'], timeoutMs = 90_000): Promise<ServiceProcess> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() reaches node behind npm
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start in ${timeoutMs} ms:\n${lines.join('\n')}\n${stderr.join('')}`)), timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const port = /"port":(\d+)/.exec(line)?.[1];
      if (port && line.includes(' on http://')) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${lines.join('\n')}\n${stderr.join('')}`));
    });
  }).catch((error: unknown) => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    throw error;
  });
  return {
    child,
    lines,
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      // 'close', not 'exit': behind `npm start`, npm dies by the signal at once while node still drains and
      // writes its last log lines to the same pipe; 'close' waits until that pipe is closed by both.
      const closed = once(child, 'close');
      process.kill(-child.pid!, 'SIGTERM');
      const [code] = (await closed) as [number | null];
      return code;
    },
  };
}
