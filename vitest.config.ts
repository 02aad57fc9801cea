import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Tests run on the TypeScript sources: each workspace package's "@raseed/source" export condition points at its
// src/index.ts, so no build is needed (and a stale dist/ is never tested).
const SOURCE = "@raseed/source";

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions], externalConditions: [SOURCE] } },
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
