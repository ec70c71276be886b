import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites each start their own local parts on free ports; two
    // workers keep a 2-core CI machine busy without starving DynamoDB Local.
    maxWorkers: 2,
    // One DynamoDB Local + fauxqs for the whole run; test files reach it via inject('localAws').
    globalSetup: ['test/support/global-setup.ts'],
  },
});
