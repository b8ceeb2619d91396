import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpuQuota, usableCores, type CgroupFiles } from '../../src/cpu-cores.js';

/** A fake /proc/self/cgroup and /sys/fs/cgroup in a folder of the test's own. */
let dir: string;
let files: CgroupFiles;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imagehost-cgroup-'));
  files = { membership: path.join(dir, 'proc-self-cgroup'), root: path.join(dir, 'cgroup') };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Writes each file (path under the cgroup root → text); a folder with any file also gets cgroup.procs. */
async function cgroupTree(membership: string, tree: Record<string, string>): Promise<void> {
  await writeFile(files.membership, membership);
  for (const [file, text] of Object.entries(tree)) {
    const full = path.join(files.root, file);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
    await writeFile(path.join(path.dirname(full), 'cgroup.procs'), '');
  }
}

describe('cpuQuota', () => {
  it('reads cgroup v2 cpu.max, taking the smallest quota from the own group up', async () => {
    await cgroupTree('0::/kubepods/pod1/app:1\n', {
      'cgroup.controllers': 'cpu memory',
      'kubepods/cpu.max': 'max 100000',
      'kubepods/pod1/cpu.max': '150000 100000',
      'kubepods/pod1/app:1/cpu.max': 'max 100000',
    });
    expect(cpuQuota(files)).toBe(1.5);
  });

  it('reads a container whose membership names a host path: its own mount root', async () => {
    await cgroupTree('0::/system.slice/docker-abc.scope\n', { 'cgroup.controllers': 'cpu', 'cpu.max': '50000 100000' });
    expect(cpuQuota(files)).toBe(0.5);
  });

  it('reads cgroup v1 cfs quota and period under a cpu,cpuacct mount', async () => {
    await cgroupTree('12:memory:/x\n4:cpu,cpuacct:/batch/job\n', {
      'cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      'cpu,cpuacct/cpu.cfs_period_us': '100000\n',
      'cpu,cpuacct/batch/job/cpu.cfs_quota_us': '200000\n',
      'cpu,cpuacct/batch/job/cpu.cfs_period_us': '100000\n',
    });
    expect(cpuQuota(files)).toBe(2);
  });

  it('is null with no quota, and with no cgroup files at all', async () => {
    await cgroupTree('0::/\n', { 'cgroup.controllers': 'cpu', 'cpu.max': 'max 100000' });
    expect(cpuQuota(files)).toBeNull();
    expect(cpuQuota({ membership: path.join(dir, 'missing'), root: path.join(dir, 'missing-root') })).toBeNull();
  });
});

describe('usableCores', () => {
  it('caps the CPUs the process may run on by the quota, rounded up, and never below 1', async () => {
    await cgroupTree('0::/\n', { 'cgroup.controllers': 'cpu', 'cpu.max': '10000 100000' });
    expect(usableCores(files)).toBe(1);
    await writeFile(path.join(files.root, 'cpu.max'), `${(availableParallelism() + 4) * 100000} 100000`);
    expect(usableCores(files)).toBe(availableParallelism());
    await writeFile(path.join(files.root, 'cpu.max'), 'max 100000');
    expect(usableCores(files)).toBe(availableParallelism());
  });
});
