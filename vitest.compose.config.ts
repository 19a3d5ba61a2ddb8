import { defineConfig } from 'vitest/config';

// `npm run test:compose`: the docker-compose stack end to end (test/compose/). Separate from the
// main run: it starts its own Docker engine and Temporal, and needs no dev server.
export default defineConfig({
  test: {
    include: ['test/compose/**/*.e2e.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
    reporters: ['verbose'],
  },
});
