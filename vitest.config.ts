import { defineConfig } from 'vitest/config';
import SlowFirst from './test/support/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    sequence: { sequencer: SlowFirst },
    reporters: [process.env.CI ? 'verbose' : 'default', './test/support/slowest-files.ts'],
  },
});
