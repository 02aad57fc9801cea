// `npm run bench:profile [-- --seconds=N] [--postgres] [--no-drain]`: where the gateway's time goes under ingest
// load (with --no-drain the worker's FBR URL is a closed port, so only ingest runs, not the drain). Starts
// the gateway (its own process, with node --cpu-prof) on SQLite, or with --postgres on a throwaway durable
// PostgreSQL cluster (as the ingest bench does), drives POST /v1/invoices with wrk at 32 connections, stops it
// and prints the profile's idle share and the functions with the most self time, grouped by file. The raw
// .cpuprofile is left in the printed folder (open it in Chrome DevTools).
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import pg from "pg";
import { findPgBin, type PgCluster, startPgCluster } from "../packages/gateway/test/pg-cluster.ts";
import { fiveLineInvoice } from "./harness/invoices.ts";
import { repoRoot, startServer } from "./harness/proc.ts";
import { prepareStore, startGatewayServer } from "./harness/store.ts";
import { load } from "./harness/wrk.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const seconds = Number(process.argv.find((a) => a.startsWith("--seconds="))?.slice(10) ?? 8);
const profileDir = mkdtempSync(join(tmpdir(), "raseed-profile-"));
const simulator = await startServer<{ url: string }>("simulator", { "latency-ms": 100 });
let cluster: PgCluster | undefined;
if (process.argv.includes("--postgres")) {
  const bin = findPgBin();
  if (bin === undefined) throw new Error("--postgres: no initdb/pg_ctl in /usr/lib/postgresql/*/bin");
  // pg_stat_statements (shipped with Debian's postgresql) counts what the gateway asks of PostgreSQL, and
  // log_lock_waits logs the statements that waited for a row lock.
  cluster = await startPgCluster({
    bin,
    durable: true,
    settings: {
      shared_preload_libraries: "pg_stat_statements",
      log_lock_waits: "on",
      deadlock_timeout: "10ms",
    },
  });
}
const prepared = await prepareStore(cluster !== undefined ? { db: cluster.url } : {});
const statements = cluster === undefined ? undefined : new pg.Client({ connectionString: cluster.url });
await statements?.connect();
await statements?.query("create extension if not exists pg_stat_statements");
// --no-drain: the worker posts to a port nothing listens on (its posts fail to connect and back off).
const fbrUrl = process.argv.includes("--no-drain") ? "http://127.0.0.1:9" : simulator.info.url;
const gateway = await startGatewayServer(prepared, { fbrUrl }, [
  "--cpu-prof",
  `--cpu-prof-dir=${profileDir}`,
]);
const common = {
  url: `${gateway.info.url}/v1/invoices`,
  connections: 32,
  body: JSON.stringify(fiveLineInvoice("@@N@@")),
  keyHeader: "Idempotency-Key",
  authorization: `Bearer ${prepared.key}`,
};
await load({ ...common, seconds: 2, prefix: "warm" });
const walSyncs = async () =>
  Number((await statements?.query<{ n: string }>("select wal_sync::text as n from pg_stat_wal"))?.rows[0]?.n);
await statements?.query("select pg_stat_statements_reset()");
const syncsBefore = await walSyncs();
const logBefore = cluster === undefined ? 0 : readFileSync(cluster.logFile, "utf8").length;
const result = await load({ ...common, seconds, prefix: "run" });
if (statements !== undefined && cluster !== undefined) {
  const syncs = (await walSyncs()) - syncsBefore;
  const top = await statements.query<{ calls: string; mean: number; max: number; query: string }>(
    `select calls::text, mean_exec_time as mean, max_exec_time as max, query from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database())
     order by pg_stat_statements.calls desc limit 20`,
  );
  await statements.end();
  const perRequest = (n: number) => (n / result.requests).toFixed(2);
  console.log(`PostgreSQL during the run: ${perRequest(syncs)} WAL fsyncs per request; statements by calls:`);
  console.log("  calls/req  mean ms    max ms  statement");
  for (const row of top.rows) {
    const text = row.query.replace(/\s+/g, " ").slice(0, 100);
    console.log(
      `  ${perRequest(Number(row.calls)).padStart(9)}  ${row.mean.toFixed(3).padStart(7)}  ${row.max.toFixed(1).padStart(8)}  ${text}`,
    );
  }
  // log_lock_waits: statements that waited longer than deadlock_timeout for a lock.
  const waits = readFileSync(cluster.logFile, "utf8")
    .slice(logBefore)
    .split("\n")
    .filter((line) => line.includes("still waiting for"));
  console.log(`lock waits over 10 ms: ${waits.length}${waits.length > 0 ? `, e.g. ${waits[0]}` : ""}`);
}
await gateway.stop();
await simulator.stop();
cluster?.stop();
console.log(
  `ingest on ${cluster !== undefined ? "postgres" : "sqlite"} under the profiler: ${result.rate.toFixed(0)}/s, p99 ${result.p99Ms.toFixed(1)} ms`,
);

const file = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"));
if (file === undefined) throw new Error(`no profile written in ${profileDir}`);
const profile = JSON.parse(readFileSync(join(profileDir, file), "utf8")) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfSamples = new Map<number, number>();
for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
const total = profile.samples.length;
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, count] of selfSamples) {
  const frame = (byId.get(id) as ProfileNode).callFrame;
  const where = frame.url === "" ? "(native)" : relative(repoRoot, frame.url.replace(/^file:\/\//, ""));
  const name = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + count);
  const group = where.includes("node_modules/")
    ? `node_modules/${(where.split("node_modules/").at(-1) ?? "")
        .split("/")
        .slice(0, where.includes("/@") ? 2 : 1)
        .join("/")}`
    : where;
  byFile.set(group, (byFile.get(group) ?? 0) + count);
}
const share = (n: number) => `${((100 * n) / total).toFixed(1)}%`;
const top = (map: Map<string, number>, n: number) =>
  [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(`\n${total} samples; profile in ${join(profileDir, file)}`);
console.log("\nself time by file or package:");
for (const [name, count] of top(byFile, 25)) console.log(`  ${share(count).padStart(6)}  ${name}`);
console.log("\nself time by function:");
for (const [name, count] of top(byFunction, 40)) console.log(`  ${share(count).padStart(6)}  ${name}`);
