// Durable ingest against the HTTP framework's own speed. Each server runs as its own process and wrk (one
// thread, 32 connections, another process) sends unique 5-line DI invoices to it:
//   bare          Fastify POST route, JSON parse only (what the framework alone does here);
//   commit        the bare route + one SQLite insert committed per request (WAL, synchronous FULL);
//   gateway       POST /v1/invoices on the gateway as `raseed serve` runs it (validated; invoice, outbox row
//                 and audit entry committed before the 202), its worker draining to the simulator (its own
//                 process, 100 ms latency), once on SQLite and once on PostgreSQL (a throwaway durable
//                 cluster the bench starts; skipped with a note when PostgreSQL is not installed).
// The ratios are what count: absolute rates depend on the machine and its load. On this kind of machine the
// same work takes up to half as much CPU again from one minute to the next (the bare route 0.072-0.110 ms per
// request, the gateway 0.375-0.563 ms, with no steal time: the host's other tenants share its cores), so a
// baseline measured minutes before the gateway can be off by that much. The servers therefore run in
// interleaved rounds (bare, commit, gateway on SQLite, gateway on PostgreSQL; three rounds, one with
// --quick) and each figure is the median of its rounds' ratios, every round printed.

import { availableParallelism } from "node:os";
import { findPgBin, startPgCluster } from "../packages/gateway/test/pg-cluster.ts";
import { fiveLineInvoice } from "./harness/invoices.ts";
import { type BenchServer, machineBusySeconds, processTreeCpuSeconds, startServer } from "./harness/proc.ts";
import { type BenchContext, median } from "./harness/results.ts";
import { prepareStore, startGatewayServer } from "./harness/store.ts";
import { type LoadResult, load } from "./harness/wrk.ts";

const CONNECTIONS = 32;

/**
 * A load run, with the server's CPU per request: milliseconds of its CPU (all threads) per request served;
 * on PostgreSQL also the database server's (the postmaster and all its processes), which shares the cores.
 */
interface Measured extends LoadResult {
  cpuMsPerRequest: number;
  databaseCpuMsPerRequest?: number;
  /** The whole machine's busy CPU per request: the server, its database, wrk and anything else running. */
  machineCpuMsPerRequest: number;
}

interface Target {
  url: string;
}

async function measure(
  server: BenchServer<Target>,
  path: string,
  seconds: number,
  warmSeconds: number,
  key: string | undefined,
  databaseCpu: (() => number) | undefined,
): Promise<Measured> {
  const body = JSON.stringify(fiveLineInvoice("@@N@@"));
  const common = {
    url: `${server.info.url}${path}`,
    connections: CONNECTIONS,
    body,
    keyHeader: "Idempotency-Key",
    ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}),
  };
  await load({ ...common, seconds: warmSeconds, prefix: "warm" });
  const cpuBefore = server.cpuSeconds();
  const databaseBefore = databaseCpu?.();
  const machineBefore = machineBusySeconds();
  const result = await load({ ...common, seconds, prefix: "run" });
  const machineCpuMsPerRequest = ((machineBusySeconds() - machineBefore) * 1000) / result.requests;
  const cpuMsPerRequest = ((server.cpuSeconds() - cpuBefore) * 1000) / result.requests;
  const databaseAfter = databaseCpu?.();
  if (result.errors > 0) throw new Error(`bench: ${result.errors} failed requests against ${common.url}`);
  return {
    ...result,
    cpuMsPerRequest,
    machineCpuMsPerRequest,
    ...(databaseBefore !== undefined && databaseAfter !== undefined
      ? { databaseCpuMsPerRequest: ((databaseAfter - databaseBefore) * 1000) / result.requests }
      : {}),
  };
}

function describe(name: string, result: Measured): string {
  const database =
    result.databaseCpuMsPerRequest === undefined
      ? ""
      : ` + ${result.databaseCpuMsPerRequest.toFixed(3)} ms of PostgreSQL's`;
  return `${name}: ${result.rate.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.cpuMsPerRequest.toFixed(3)} ms CPU per request${database}, ${result.machineCpuMsPerRequest.toFixed(3)} ms of the whole machine's (${result.requests} requests)`;
}

type Run = (
  name: string,
  server: Promise<BenchServer<Target>>,
  path: string,
  key?: string,
  databaseCpu?: () => number,
) => Promise<Measured>;

/** One round: each server measured once, back to back. */
interface Round {
  bare: Measured;
  commit: Measured;
  gateway: Measured;
}

/** The gateway on one engine, with its figures against the baselines of the same rounds (medians). */
function gatewayFigures(
  context: BenchContext,
  engine: "sqlite" | "postgres",
  rounds: readonly Round[],
): void {
  const of = (pick: (round: Round) => number) => median(rounds.map(pick));
  const bareRate = of((r) => r.bare.rate);
  const goal = engine === "sqlite" ? 0.4 : 0.3;
  const ratio = of((r) => r.gateway.rate / r.bare.rate);
  context.results.add({
    key: `ingest.${engine}.rate`,
    label: `durable ingest (${engine}), invoices/s`,
    value: of((r) => r.gateway.rate),
    unit: "/s",
  });
  context.results.add({
    key: `ingest.${engine}.vsBare`,
    label: `durable ingest (${engine}) / bare Fastify route (${bareRate.toFixed(0)}/s)`,
    value: ratio,
    unit: "x",
    goal: `>= ${goal}`,
    met: ratio >= goal,
  });
  // The commit-per-request baseline is SQLite's: compared with the SQLite gateway only.
  if (engine === "sqlite") {
    const vsCommit = of((r) => r.gateway.rate / r.commit.rate);
    context.results.add({
      key: "ingest.sqlite.vsCommit",
      label: `durable ingest (sqlite) / commit-per-request route (${of((r) => r.commit.rate).toFixed(0)}/s)`,
      value: vsCommit,
      unit: "x",
      goal: "> 1",
      met: vsCommit > 1,
    });
  }
  // Context, no goal: the gateway's CPU per invoice (its worker's draining included) against the bare route's
  // per request. It moves little with the machine's load, so it compares runs on a busy machine.
  context.results.add({
    key: `ingest.${engine}.cpuVsBare`,
    label: `CPU per invoice (${engine}, ${of((r) => r.gateway.cpuMsPerRequest).toFixed(3)} ms) / per bare request (${of((r) => r.bare.cpuMsPerRequest).toFixed(3)} ms)`,
    value: of((r) => r.gateway.cpuMsPerRequest / r.bare.cpuMsPerRequest),
    unit: "x",
  });
  if (rounds.every((r) => r.gateway.databaseCpuMsPerRequest !== undefined)) {
    // Context, no goal: PostgreSQL's own CPU per invoice (all its processes), which shares the two cores
    // with the gateway and the load generator; the gateway's and PostgreSQL's together are the work.
    const database = (r: Round) => r.gateway.databaseCpuMsPerRequest as number;
    context.results.add({
      key: `ingest.${engine}.databaseCpuVsBare`,
      label: `PostgreSQL's CPU per invoice (${of(database).toFixed(3)} ms) / per bare request`,
      value: of((r) => database(r) / r.bare.cpuMsPerRequest),
      unit: "x",
    });
  }
  // Context, no goal: what the ratio goal asks of the machine. At the goal's rate (goal x the bare route's),
  // with this run's CPU per invoice across the whole machine (the gateway, PostgreSQL, wrk, the worker's
  // drain and the simulator: every process that shares the cores), this many cores would be busy. Past
  // the machine's own cores the goal cannot be met by spreading the same work over threads or processes,
  // only by doing less of it.
  const machineMs = of((r) => r.gateway.machineCpuMsPerRequest);
  const cores = availableParallelism();
  context.results.add({
    key: `ingest.${engine}.coresForGoal`,
    label: `cores busy at the goal's rate (${goal}x: ${(goal * bareRate).toFixed(0)}/s) at this run's whole-machine CPU per invoice (${machineMs.toFixed(3)} ms; this machine has ${cores})`,
    value: (goal * bareRate * machineMs) / 1000,
    unit: "cores",
  });
  const p99 = of((r) => r.gateway.p99Ms / r.bare.p99Ms);
  context.results.add({
    key: `ingest.${engine}.p99VsBare`,
    label: `p99 latency (${engine}) / bare route p99 (${of((r) => r.bare.p99Ms).toFixed(2)} ms)`,
    value: p99,
    unit: "x",
    goal: "<= 4",
    met: p99 <= 4,
  });
}

export default async function ingestBench(context: BenchContext): Promise<void> {
  const seconds = context.quick ? 3 : 10;
  const warm = context.quick ? 1 : 3;
  const roundCount = context.quick ? 1 : 3;
  const run: Run = async (name, server, path, key, databaseCpu) => {
    const started = await server;
    try {
      const result = await measure(started, path, seconds, warm, key, databaseCpu);
      console.log(`  ${describe(name, result)}`);
      return result;
    } finally {
      await started.stop();
    }
  };
  const simulator = await startServer<Target>("simulator", { "latency-ms": 100 });
  // PostgreSQL: a throwaway cluster of the bench's own, durable (fsync and synchronous_commit on, as
  // SQLite's FULL), on 127.0.0.1; the gateway process connects to it as `raseed serve --db postgres://...`,
  // each round in a schema of its own.
  const pgBin = findPgBin();
  const cluster = pgBin === undefined ? undefined : await startPgCluster({ bin: pgBin, durable: true });
  try {
    const gatewayRun = async (engine: "sqlite" | "postgres", round: number) => {
      const db = engine === "postgres" ? `${cluster?.url}?schema=bench_round_${round}` : undefined;
      const prepared = await prepareStore(db !== undefined ? { db } : {});
      const serverPid = cluster?.serverPid();
      return run(
        `gateway POST /v1/invoices (${engine})`,
        startGatewayServer(prepared, { fbrUrl: simulator.info.url }),
        "/v1/invoices",
        prepared.key,
        engine === "postgres" && serverPid !== undefined ? () => processTreeCpuSeconds(serverPid) : undefined,
      );
    };
    const sqliteRounds: Round[] = [];
    const postgresRounds: Round[] = [];
    for (let round = 1; round <= roundCount; round++) {
      if (roundCount > 1) console.log(`  round ${round} of ${roundCount}:`);
      const bare = await run("bare Fastify route", startServer<Target>("bare"), "");
      const commit = await run("commit per request", startServer<Target>("commit-per-request"), "");
      sqliteRounds.push({ bare, commit, gateway: await gatewayRun("sqlite", round) });
      if (cluster !== undefined)
        postgresRounds.push({ bare, commit, gateway: await gatewayRun("postgres", round) });
    }
    if (roundCount > 1) console.log(`  medians of the ${roundCount} rounds:`);
    gatewayFigures(context, "sqlite", sqliteRounds);
    if (cluster === undefined) {
      console.log(
        "  PostgreSQL figures skipped: no initdb/pg_ctl in /usr/lib/postgresql/*/bin " +
          "(apt-get install postgresql, or set RASEED_PG_BIN)",
      );
    } else {
      gatewayFigures(context, "postgres", postgresRounds);
    }
  } finally {
    cluster?.stop();
    await simulator.stop();
  }
}
