import { closeFd, fsyncFd, openFd } from './fd.js';

/**
 * fsyncs directories, letting concurrent callers share one fsync of the same directory (a group
 * commit: the three renditions of an image land in one folder at once). A caller joins a sync that
 * has not started yet, which covers every entry made before the caller asked; otherwise it queues the
 * next one, to start when the running one ends. Each caller still resolves only after an fsync that
 * started after it asked.
 */
export class DirectorySyncs {
  private readonly queued = new Map<string, Promise<void>>();
  private readonly running = new Map<string, Promise<void>>();

  /** `fsyncDirectory` is replaceable for tests. */
  constructor(private readonly fsyncDirectory: (dir: string) => Promise<void> = fsyncDirectoryFd) {}

  sync(dir: string): Promise<void> {
    const queued = this.queued.get(dir);
    if (queued) return queued;
    const previous = this.running.get(dir) ?? Promise.resolve();
    // Always a later microtask, so the entry below is in place before the sync starts.
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        this.queued.delete(dir);
        const run = this.fsyncDirectory(dir);
        this.running.set(dir, run);
        try {
          await run;
        } finally {
          if (this.running.get(dir) === run) this.running.delete(dir);
        }
      });
    this.queued.set(dir, next);
    return next;
  }
}

async function fsyncDirectoryFd(dir: string): Promise<void> {
  const fd = await openFd(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}
