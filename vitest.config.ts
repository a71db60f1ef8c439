import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start emulators; two cores are shared by at most two files at a time.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    // .ci/run reads this report to print the plain "N passed, N failed" line.
    outputFile: { json: 'test-results/vitest.json' },
  },
});
