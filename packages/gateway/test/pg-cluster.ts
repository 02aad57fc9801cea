// A throwaway PostgreSQL cluster in a temp dir on a random 127.0.0.1 port: the test suite's (global-setup.ts,
// fsync off) and the bench's (bench/ingest.bench.ts, durable: fsync and synchronous_commit on, as a
// production server runs). initdb refuses to run as root, so when we are root the cluster belongs to the
// postgres user.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** RASEED_PG_BIN, or the newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl (Debian's layout). */
export function findPgBin(): string | undefined {
  const candidates =
    process.env.RASEED_PG_BIN !== undefined
      ? [process.env.RASEED_PG_BIN]
      : (existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql") : [])
          .filter((version) => /^\d+$/.test(version))
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => join("/usr/lib/postgresql", version, "bin"));
  return candidates.find((bin) => existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl")));
}

/** A port on 127.0.0.1 that nothing listens on now (the bench uses it too). */
export function freePort(): Promise<number> {
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
function runPg(bin: string, binary: string, args: string[], asPostgres: boolean): void {
  const command = asPostgres ? "runuser" : join(bin, binary);
  const fullArgs = asPostgres ? ["-u", "postgres", "--", join(bin, binary), ...args] : args;
  const result = spawnSync(command, fullArgs, { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(
      `${binary} failed (${result.status}): ${result.stderr || result.stdout || result.error?.message}`,
    );
  }
}

export interface PgCluster {
  /** postgres://raseed@127.0.0.1:<port>/postgres (trust authentication, loopback only). */
  url: string;
  /** The server's log (pg_ctl -l). */
  logFile: string;
  /** The postmaster's process id (the first line of postmaster.pid); its backends are its children. */
  serverPid(): number;
  /** Stops the cluster (immediate) and deletes its folder. */
  stop(): void;
}

export interface PgClusterOptions {
  bin: string;
  /**
   * true: fsync, synchronous_commit and full_page_writes on (PostgreSQL's defaults: a commit is on disk when
   * it returns). false: all off, for tests that never survive the cluster.
   */
  durable: boolean;
  /** More server settings (-c name=value), e.g. shared_preload_libraries for the profiler. */
  settings?: Record<string, string>;
}

export async function startPgCluster({ bin, durable, settings = {} }: PgClusterOptions): Promise<PgCluster> {
  const asPostgres = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "raseed-pg-"));
  const dataDir = join(dir, "data");
  if (asPostgres) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  try {
    const port = await freePort();
    // --no-sync only skips initdb's own flush of the new cluster; the server's settings come below.
    runPg(
      bin,
      "initdb",
      ["-D", dataDir, "-U", "raseed", "--auth=trust", "-E", "UTF8", "--no-sync", "-A", "trust"],
      asPostgres,
    );
    // A socket dir inside the temp dir: a disposable cluster that touches nothing else.
    const sync = durable
      ? "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
      : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    const extra = Object.entries(settings)
      .map(([name, value]) => ` -c ${name}=${value}`)
      .join("");
    const serverOptions = `-h 127.0.0.1 -p ${port} -k ${dir} ${sync} -c max_connections=200${extra}`;
    runPg(
      bin,
      "pg_ctl",
      ["-D", dataDir, "-o", serverOptions, "-l", join(dir, "log"), "-w", "-t", "60", "start"],
      asPostgres,
    );
    return {
      url: `postgres://raseed@127.0.0.1:${port}/postgres`,
      logFile: join(dir, "log"),
      serverPid: () => Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]),
      stop: () => {
        try {
          runPg(bin, "pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"], asPostgres);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
