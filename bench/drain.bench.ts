// Drain and memory. The gateway (its own process) starts with a backlog already queued and its worker posts
// it to the simulator (another process) answering after 100 ms; the driver counts the outbox from outside
// through a read-only connection to the SQLite file.
//   drain: invoices settled per second as a fraction of the bound concurrency / latency, at 16 and 64, as
//   configured by default and with workerPrefetch at a quarter of the concurrency (attempts recorded ahead
//   of a free slot, docs/operations.md); beside it, what the simulator process alone answers at the same concurrency on this machine in this
//   run (wrk posting the same invoices straight to it): the ceiling no worker can pass, since the
//   simulator's own work adds to its 100 ms and shares the machine's cores; three interleaved rounds, each
//   figure the median of its rounds (one round with --quick);
//   memory: the gateway process's own peak RSS (VmHWM, read from /proc) with 100,000 invoices queued and
//   draining, measured on `raseed serve` as an installed gateway runs it (the build, no tsx:
//   harness/store.ts startInstalledGateway).
import SqliteDatabase from "better-sqlite3";
import { fiveLineInvoice } from "./harness/invoices.ts";
import { startServer } from "./harness/proc.ts";
import { type BenchContext, median } from "./harness/results.ts";
import { prepareStore, startGatewayServer, startInstalledGateway } from "./harness/store.ts";
import { load } from "./harness/wrk.ts";

const LATENCY_MS = 100;

function outboxCounter(file: string): { count: () => number; close: () => void } {
  const database = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  const statement = database.prepare("select count(*) as n from outbox");
  return {
    count: () => (statement.get() as { n: number }).n,
    close: () => database.close(),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The simulator alone: wrk posting distinct 5-line invoices at `concurrency`, as a fraction of the bound. */
async function simulatorAlone(simulatorUrl: string, concurrency: number, seconds: number): Promise<number> {
  const result = await load({
    url: `${simulatorUrl}/di_data/v1/di/postinvoicedata_sb`,
    connections: concurrency,
    seconds,
    body: JSON.stringify(fiveLineInvoice("@@N@@")),
    authorization: "Bearer sandbox-demo-token",
    prefix: `alone${concurrency}`,
  });
  if (result.errors > 0) throw new Error(`bench: ${result.errors} errors posting to the simulator alone`);
  return result.rate / (concurrency / (LATENCY_MS / 1000));
}

/** The attempts recorded ahead in the prefetch variant: a quarter of the concurrency. */
const prefetchFor = (concurrency: number) => Math.ceil(concurrency / 4);

interface Turn {
  drained: number;
  prefetched: number;
  alone: number;
}

/**
 * One turn at `concurrency`: the simulator alone, then the gateway draining a backlog by default and with
 * workerPrefetch, as fractions of the bound.
 */
async function drainTurn(context: BenchContext, simulatorUrl: string, concurrency: number): Promise<Turn> {
  const bound = concurrency / (LATENCY_MS / 1000);
  const alone = await simulatorAlone(simulatorUrl, concurrency, context.quick ? 2 : 5);
  const drained = await gatewayDrain(context, simulatorUrl, concurrency, 0);
  const prefetched = await gatewayDrain(context, simulatorUrl, concurrency, prefetchFor(concurrency));
  console.log(
    `  concurrency ${concurrency}: the worker ${(drained * bound).toFixed(0)}/s (${drained.toFixed(2)} of ${bound}/s), with workerPrefetch ${prefetchFor(concurrency)} ${(prefetched * bound).toFixed(0)}/s (${prefetched.toFixed(2)}), the simulator alone ${(alone * bound).toFixed(0)}/s (${alone.toFixed(2)})`,
  );
  return { drained, prefetched, alone };
}

/** The gateway draining a backlog at `concurrency` with `prefetch` recorded ahead, as a fraction of the bound. */
async function gatewayDrain(
  context: BenchContext,
  simulatorUrl: string,
  concurrency: number,
  prefetch: number,
): Promise<number> {
  const bound = concurrency / (LATENCY_MS / 1000);
  const seconds = context.quick ? 3 : 12;
  const backlog = Math.round(bound * (seconds + 2));
  const prepared = await prepareStore({ prefill: backlog });
  const gateway = await startGatewayServer(prepared, { fbrUrl: simulatorUrl, concurrency, prefetch });
  const counter = outboxCounter(prepared.db);
  try {
    // The first second (connections opening, the first claims) is left out; the window ends when fewer than
    // `concurrency` invoices are left, since from there the worker cannot fill its bound.
    await pause(1_000);
    const startCount = counter.count();
    const started = performance.now();
    let count = startCount;
    for (let polls = 0; polls < 10_000 && count >= concurrency; polls++) {
      await pause(100);
      count = counter.count();
    }
    const rate = (startCount - count) / ((performance.now() - started) / 1000);
    return rate / bound;
  } finally {
    counter.close();
    await gateway.stop();
  }
}

/**
 * The drain figures at each concurrency: turns interleaved across the concurrencies (three, one with
 * --quick), each figure the median of its turns, as the ingest bench does (the machine's speed moves from
 * minute to minute, docs/performance.md).
 */
async function drainRates(
  context: BenchContext,
  simulatorUrl: string,
  concurrencies: number[],
): Promise<void> {
  const rounds = context.quick ? 1 : 3;
  const turns = new Map<number, Turn[]>(concurrencies.map((c) => [c, []]));
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`  round ${round} of ${rounds}:`);
    for (const concurrency of concurrencies) {
      turns.get(concurrency)?.push(await drainTurn(context, simulatorUrl, concurrency));
    }
  }
  for (const concurrency of concurrencies) {
    const bound = concurrency / (LATENCY_MS / 1000);
    const measured = turns.get(concurrency) ?? [];
    const drained = median(measured.map((turn) => turn.drained));
    const prefetched = median(measured.map((turn) => turn.prefetched));
    const alone = median(measured.map((turn) => turn.alone));
    const ofAlone = median(measured.map((turn) => turn.drained / turn.alone));
    const prefetchedOfAlone = median(measured.map((turn) => turn.prefetched / turn.alone));
    context.results.add({
      key: `drain.c${concurrency}`,
      label: `drain at concurrency ${concurrency}, ${LATENCY_MS} ms FBR latency: ${(drained * bound).toFixed(0)}/s of the bound ${bound}/s`,
      value: drained,
      unit: "of the bound",
      goal: ">= 0.95",
      met: drained >= 0.95,
    });
    context.results.add({
      key: `drain.c${concurrency}.prefetch`,
      label: `the same with workerPrefetch ${prefetchFor(concurrency)} (attempts recorded ahead): ${(prefetched * bound).toFixed(0)}/s, ${prefetchedOfAlone.toFixed(2)}x the simulator alone`,
      value: prefetched,
      unit: "of the bound",
      goal: ">= 0.95",
      met: prefetched >= 0.95,
    });
    context.results.add({
      key: `drain.c${concurrency}.simulatorAlone`,
      label: `the simulator alone at concurrency ${concurrency} (wrk, same invoices): ${(alone * bound).toFixed(0)}/s of the bound ${bound}/s; the worker drained ${ofAlone.toFixed(2)}x of it`,
      value: alone,
      unit: "of the bound",
    });
  }
}

async function queuedMemory(context: BenchContext, simulatorUrl: string): Promise<void> {
  const queued = context.quick ? 10_000 : 100_000;
  const prepared = await prepareStore({ prefill: queued });
  const gateway = await startInstalledGateway(prepared, { fbrUrl: simulatorUrl, concurrency: 64 });
  try {
    // Draining, with ingest and reads going on: a few seconds of new invoices and listing the queue.
    await load({
      url: `${gateway.info.url}/v1/invoices?state=queued&limit=500`,
      connections: 4,
      seconds: context.quick ? 2 : 10,
      authorization: `Bearer ${prepared.key}`,
    });
    const peak = gateway.peakRss() / 1024 / 1024;
    context.results.add({
      key: "memory.queued",
      label: `gateway process peak RSS with ${queued.toLocaleString("en")} invoices queued and draining`,
      value: peak,
      unit: "MB",
      goal: "< 200",
      met: peak < 200,
    });
  } finally {
    await gateway.stop();
  }
}

export default async function drainBench(context: BenchContext): Promise<void> {
  const simulator = await startServer<{ url: string }>("simulator", { "latency-ms": LATENCY_MS });
  try {
    await drainRates(context, simulator.info.url, [16, 64]);
    await queuedMemory(context, simulator.info.url);
  } finally {
    await simulator.stop();
  }
}
