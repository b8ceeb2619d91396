import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'embedded', include: ['test/**/*.test.ts'] } },
      {
        // The same HTTP suite against PostgreSQL and an S3 server instead of the embedded defaults.
        extends: true,
        test: { name: 'production-stack', include: ['test/http/**/*.test.ts'], env: { TEST_STACK: 'production' } },
      },
    ],
  },
});
