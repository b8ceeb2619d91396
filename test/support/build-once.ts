import { execFileSync } from 'node:child_process';

/** Vitest global setup for the e2e project: compile dist/ once, before any process is started from it. */
export default function buildOnce(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: new URL('../..', import.meta.url).pathname, stdio: 'inherit' });
}
