// Durable ingest against the HTTP framework's own speed. Each server runs as its own process and wrk (one
// thread, 32 connections, another process) sends unique 5-line DI invoices to it:
//   bare          Fastify POST route, JSON parse only (what the framework alone does here);
//   commit        the bare route + one SQLite insert committed per request (WAL, synchronous FULL);
//   gateway       POST /v1/invoices on the gateway as `raseed serve` runs it (validated; invoice, outbox row
//                 and audit entry committed before the 202), its worker draining to the simulator (its own
//                 process, 100 ms latency).
// The ratios are what count: absolute rates depend on the machine and its load.
import { fiveLineInvoice } from "./harness/invoices.ts";
import { type BenchServer, startServer } from "./harness/proc.ts";
import type { BenchContext } from "./harness/results.ts";
import { prepareStore, startGatewayServer } from "./harness/store.ts";
import { type LoadResult, load } from "./harness/wrk.ts";

const CONNECTIONS = 32;

interface Target {
  url: string;
}

async function measure(
  server: BenchServer<Target>,
  path: string,
  seconds: number,
  warmSeconds: number,
  key: string | undefined,
): Promise<LoadResult> {
  const body = JSON.stringify(fiveLineInvoice("@@N@@"));
  const common = {
    url: `${server.info.url}${path}`,
    connections: CONNECTIONS,
    body,
    keyHeader: "Idempotency-Key",
    ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}),
  };
  await load({ ...common, seconds: warmSeconds, prefix: "warm" });
  const result = await load({ ...common, seconds, prefix: "run" });
  if (result.errors > 0) throw new Error(`bench: ${result.errors} failed requests against ${common.url}`);
  return result;
}

function describe(name: string, result: LoadResult): string {
  return `${name}: ${result.rate.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms (${result.requests} requests)`;
}

export async function ingestAgainstBaselines(
  context: BenchContext,
  engine: { name: string; db?: string },
): Promise<void> {
  const seconds = context.quick ? 3 : 10;
  const warm = context.quick ? 1 : 3;
  const run = async (name: string, server: Promise<BenchServer<Target>>, path: string, key?: string) => {
    const started = await server;
    try {
      const result = await measure(started, path, seconds, warm, key);
      console.log(`  ${describe(name, result)}`);
      return result;
    } finally {
      await started.stop();
    }
  };
  const simulator = await startServer<Target>("simulator", { "latency-ms": 100 });
  try {
    const bare = await run("bare Fastify route", startServer<Target>("bare"), "");
    const commit = await run("commit per request", startServer<Target>("commit-per-request"), "");
    const prepared = await prepareStore(engine.db !== undefined ? { db: engine.db } : {});
    const gateway = await run(
      `gateway POST /v1/invoices (${engine.name})`,
      startGatewayServer(prepared, { fbrUrl: simulator.info.url }),
      "/v1/invoices",
      prepared.key,
    );
    const goal = engine.name === "sqlite" ? 0.4 : 0.3;
    const ratio = gateway.rate / bare.rate;
    context.results.add({
      key: `ingest.${engine.name}.rate`,
      label: `durable ingest (${engine.name}), invoices/s`,
      value: gateway.rate,
      unit: "/s",
    });
    context.results.add({
      key: `ingest.${engine.name}.vsBare`,
      label: `durable ingest (${engine.name}) / bare Fastify route (${bare.rate.toFixed(0)}/s)`,
      value: ratio,
      unit: "x",
      goal: `>= ${goal}`,
      met: ratio >= goal,
    });
    context.results.add({
      key: `ingest.${engine.name}.vsCommit`,
      label: `durable ingest (${engine.name}) / commit-per-request route (${commit.rate.toFixed(0)}/s)`,
      value: gateway.rate / commit.rate,
      unit: "x",
      goal: "> 1",
      met: gateway.rate > commit.rate,
    });
    const p99 = gateway.p99Ms / bare.p99Ms;
    context.results.add({
      key: `ingest.${engine.name}.p99VsBare`,
      label: `p99 latency (${engine.name}) / bare route p99 (${bare.p99Ms.toFixed(2)} ms)`,
      value: p99,
      unit: "x",
      goal: "<= 4",
      met: p99 <= 4,
    });
  } finally {
    await simulator.stop();
  }
}

export default async function ingestBench(context: BenchContext): Promise<void> {
  await ingestAgainstBaselines(context, { name: "sqlite" });
}
