import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers on loopback; two cores, so keep parallelism modest.
    maxWorkers: 2,
    // Starts a throwaway PostgreSQL cluster for the gateway's store tests (skipped when no gateway test runs).
    globalSetup: ["packages/gateway/test/global-setup.ts"],
  },
});
