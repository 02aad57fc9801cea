// Vitest globalSetup: a throwaway PostgreSQL cluster (pg-cluster.ts; fsync off) on a random 127.0.0.1 port,
// shared by the gateway's PostgreSQL tests (each test file uses its own schema) and torn down afterwards.
import type { TestProject } from "vitest/node";
import { findPgBin, startPgCluster } from "./pg-cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** postgres:// URL of the throwaway cluster, or "" when the run has no gateway tests. */
    raseedPostgresUrl: string;
  }
}

/**
 * Only start PostgreSQL when this run includes gateway tests, or the CLI's, whose end-to-end tests run a
 * gateway on both engines (a filtered run of other packages skips it).
 */
function runIncludesGateway(): boolean {
  const args = process.argv.slice(2);
  // A test-name filter can select gateway tests from any file: start PostgreSQL to be safe.
  if (args.some((arg) => arg === "-t" || arg.startsWith("--testNamePattern"))) return true;
  const filters = args.filter((arg) => !arg.startsWith("-") && arg !== "run" && arg !== "watch");
  if (filters.length === 0) return true;
  return filters.some(
    (filter) => filter.includes("gateway") || filter.includes("cli") || filter.includes("global-setup"),
  );
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (!runIncludesGateway() || process.env.RASEED_TEST_PG_URL !== undefined) {
    project.provide("raseedPostgresUrl", process.env.RASEED_TEST_PG_URL ?? "");
    return undefined;
  }
  const bin = findPgBin();
  if (bin === undefined) {
    throw new Error(
      "PostgreSQL binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin: install Debian's " +
        "postgresql package (CI does) or set RASEED_PG_BIN / RASEED_TEST_PG_URL",
    );
  }
  const cluster = await startPgCluster({ bin, durable: false });
  project.provide("raseedPostgresUrl", cluster.url);
  return () => cluster.stop();
}
