import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start emulators; two cores are shared by at most two files at a time.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests run on the Node.js 24 npm installs, where the AWS SDK prints no Node.js version notice;
    // should they run on an older one, its notice must not fill the test log either.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', 'json'],
    // .ci/run reads this report to print the plain "N passed, N failed" line.
    outputFile: { json: 'test-results/vitest.json' },
  },
});
