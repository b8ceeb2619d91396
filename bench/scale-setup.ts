/** How measure 6 places its workers, apart from the section itself, so that reporting loads no queue client. */
export interface ScaleSetup {
  /** 'own core': worker i runs on core i only, as on a one-core machine; 'shared': every worker on every core. */
  readonly placement: 'own core' | 'shared';
  /** WORKER_CONCURRENCY for the workers; when omitted, each runs at its own default for the cores it has. */
  readonly concurrency?: number;
}

/** "a core each, 2 jobs at once (its default)": how the workers of a setup ran, for the report. */
export function setupText(setup: ScaleSetup, concurrency?: number): string {
  const placement = setup.placement === 'own core' ? 'a core each' : 'sharing the cores';
  if (setup.concurrency !== undefined) return `${placement}, WORKER_CONCURRENCY=${setup.concurrency}`;
  const source = process.env.WORKER_CONCURRENCY ? 'WORKER_CONCURRENCY from the environment' : 'its default';
  return `${placement}, ${concurrency === undefined ? source : `${concurrency} jobs at once (${source})`}`;
}
