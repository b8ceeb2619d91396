/**
 * The layer rule: the core (domain, application, ports) depends on nothing but itself and Node's
 * pure built-ins; only adapters and the composition root know frameworks and drivers.
 */
const CORE = '^src/(domain|application|ports)/';
module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-adapter',
      comment: 'domain, application and ports must not import adapters, wiring or the composition root',
      severity: 'error',
      from: { path: CORE },
      to: { path: '^src/(adapters|wiring)/|^src/(main|imagehost|config)\\.ts$' },
    },
    {
      name: 'core-imports-no-package',
      comment: 'the core uses no npm package (frameworks, drivers, inversify …)',
      severity: 'error',
      from: { path: CORE },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'core-does-no-io',
      comment: 'the core does no I/O itself: file system, network and processes belong to adapters',
      severity: 'error',
      from: { path: CORE },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads)$' },
    },
    {
      name: 'domain-is-innermost',
      comment: 'the domain knows neither use cases nor ports',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/(application|ports)/' },
    },
    {
      name: 'ports-know-no-use-case',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { path: '^src/application/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
