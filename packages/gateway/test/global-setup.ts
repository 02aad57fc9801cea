// Vitest globalSetup: a throwaway PostgreSQL 15 cluster in a temp dir on a random 127.0.0.1 port, shared by
// the gateway's PostgreSQL tests (each test file uses its own schema) and torn down afterwards.
// initdb refuses to run as root, so when the tests run as root the cluster belongs to the postgres user.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** postgres:// URL of the throwaway cluster, or "" when the run has no gateway tests. */
    raseedPostgresUrl: string;
  }
}

const PG_BIN = process.env.RASEED_PG_BIN ?? "/usr/lib/postgresql/15/bin";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function runPg(binary: string, args: string[], asPostgres: boolean): void {
  const command = asPostgres ? "runuser" : join(PG_BIN, binary);
  const fullArgs = asPostgres ? ["-u", "postgres", "--", join(PG_BIN, binary), ...args] : args;
  const result = spawnSync(command, fullArgs, { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(
      `${binary} failed (${result.status}): ${result.stderr || result.stdout || result.error?.message}`,
    );
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
  if (!existsSync(join(PG_BIN, "initdb")) || !existsSync(join(PG_BIN, "pg_ctl"))) {
    throw new Error(
      `PostgreSQL binaries not found in ${PG_BIN}: install Debian's postgresql package (CI does) ` +
        "or set RASEED_PG_BIN / RASEED_TEST_PG_URL",
    );
  }
  const asPostgres = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "raseed-pg-"));
  const dataDir = join(dir, "data");
  if (asPostgres) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  runPg(
    "initdb",
    ["-D", dataDir, "-U", "raseed", "--auth=trust", "-E", "UTF8", "--no-sync", "-A", "trust"],
    asPostgres,
  );
  // fsync off and a socket dir inside the temp dir: a disposable cluster that touches nothing else.
  const serverOptions = `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  runPg(
    "pg_ctl",
    ["-D", dataDir, "-o", serverOptions, "-l", join(dir, "log"), "-w", "-t", "60", "start"],
    asPostgres,
  );
  const url = `postgres://raseed@127.0.0.1:${port}/postgres`;
  project.provide("raseedPostgresUrl", url);
  return () => {
    try {
      runPg("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"], asPostgres);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
