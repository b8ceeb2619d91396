import net from 'node:net';

/**
 * Real-service suites call this at collection time. Locally an unreachable service skips its suite
 * with a visible reason; under CI (CI=true) it fails the run instead, so CI never goes green by skipping.
 */
export async function serviceReachable(name: string, url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port), timeout: 2000 });
    const settle = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => settle(true));
    socket.once('timeout', () => settle(false));
    socket.once('error', () => settle(false));
  });
  if (!reachable && process.env.CI === 'true') {
    throw new Error(`${name} is not reachable at ${url}, and CI=true: real-service tests must not skip in CI`);
  }
  if (!reachable) console.warn(`[skip] ${name} is not reachable at ${url}: its tests are skipped`);
  return reachable;
}

export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
