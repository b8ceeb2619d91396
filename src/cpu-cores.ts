import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

/** Where the cgroup files are read from; tests point these at a folder of their own. */
export interface CgroupFiles {
  /** The process's cgroup membership, `/proc/self/cgroup`. */
  readonly membership: string;
  /** Where the cgroup file systems are mounted, `/sys/fs/cgroup`. */
  readonly root: string;
}

const SYSTEM: CgroupFiles = { membership: '/proc/self/cgroup', root: '/sys/fs/cgroup' };

/**
 * The cores this process can keep busy: the CPUs it may run on (its affinity, as `taskset` or a
 * cpuset sets it), capped by its cgroup's CPU quota (`docker run --cpus`, a Kubernetes CPU limit)
 * rounded up. Node 20's os.availableParallelism() sees the affinity but not the quota, so a worker
 * limited to one CPU of a 16-core host would otherwise run 17 jobs at once, each throttled.
 */
export function usableCores(files: CgroupFiles = SYSTEM): number {
  const allowed = availableParallelism();
  const quota = cpuQuota(files);
  return quota === null ? allowed : Math.max(1, Math.min(allowed, Math.ceil(quota)));
}

/**
 * The CPUs' worth of time the process's cgroup and its ancestors allow (the smallest quota ÷ period
 * on the way up), or null when none sets one or the files cannot be read. cgroup v2 (`cpu.max`) and
 * v1 (`cpu.cfs_quota_us` and `cpu.cfs_period_us`).
 */
export function cpuQuota(files: CgroupFiles = SYSTEM): number | null {
  const membership = read(files.membership);
  if (membership === null) return null;
  // "<id>:<controllers>:<path>"; the path itself may hold colons.
  const lines = membership.split('\n').map((line) => {
    const [id, controllers, ...rest] = line.split(':');
    return [id, controllers, rest.join(':')];
  });
  if (existsSync(path.join(files.root, 'cgroup.controllers'))) {
    const own = lines.find(([id, controllers]) => id === '0' && controllers === '')?.[2];
    return smallestOnTheWayUp(files.root, own, (dir) => {
      const [quota, period] = (read(path.join(dir, 'cpu.max')) ?? '').trim().split(/\s+/);
      return ratio(quota, period);
    });
  }
  const line = lines.find(([, controllers]) => controllers?.split(',').includes('cpu'));
  if (!line) return null;
  const mount = [line[1]!, 'cpu', 'cpu,cpuacct', 'cpuacct,cpu'].map((name) => path.join(files.root, name)).find((dir) => existsSync(path.join(dir, 'cpu.cfs_period_us')));
  if (!mount) return null;
  return smallestOnTheWayUp(mount, line[2], (dir) => ratio(read(path.join(dir, 'cpu.cfs_quota_us'))?.trim(), read(path.join(dir, 'cpu.cfs_period_us'))?.trim()));
}

/**
 * The smallest quota from the process's own cgroup folder up to the mount. Inside a container the
 * membership names a path of the host's that is not mounted there; then the mount itself is the
 * container's cgroup, and only it is read.
 */
function smallestOnTheWayUp(mount: string, own: string | undefined, quotaIn: (dir: string) => number | null): number | null {
  const start = own ? path.resolve(mount, `.${own}`) : mount;
  const inside = start.startsWith(`${mount}${path.sep}`) && existsSync(start);
  const dirs: string[] = [];
  for (let dir = inside ? start : mount; ; dir = path.dirname(dir)) {
    dirs.push(dir);
    if (dir === mount) break;
  }
  const quotas = dirs.map(quotaIn).filter((q): q is number => q !== null);
  return quotas.length ? Math.min(...quotas) : null;
}

/** quota ÷ period, or null for no limit ("max", -1) or anything unreadable. */
function ratio(quota: string | undefined, period: string | undefined): number | null {
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && q > 0 && Number.isFinite(p) && p > 0 ? q / p : null;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
