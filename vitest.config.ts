import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit-adapters-http', include: ['test/{unit,adapters,http}/**/*.test.ts'] } },
      {
        // The same HTTP suite against PostgreSQL and an S3 server instead of the embedded defaults.
        extends: true,
        test: { name: 'production-stack', include: ['test/http/**/*.test.ts'], env: { TEST_STACK: 'production' } },
      },
      {
        // Real processes started from dist/: built once, files one after another (they share dist/ and ports).
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/build-once.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
