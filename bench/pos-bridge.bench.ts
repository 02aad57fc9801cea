// The POS bridge's cost at the till. The upstream (the simulator's IMS PostData) and the bridge (journal
// fsynced as `raseed pos-bridge` runs it, uploading to that simulator) each run as their own process, and wrk
// (another process) sends one-item IMS sales with unique USINs, every answer checked for Code 100 (FBR's
// number, not the provisional reply):
//   latency    one connection (a till waiting for each number), the simulator answering at once: the
//              bridge's p99 minus the upstream's p99. Each sale's path holds two journal fsyncs (the sale and
//              its claim before the upload, the accept before the answer), so this disk's own fsync latency,
//              measured in the same run, is printed beside it;
//   sustained  32 connections (a big store's tills, or tills catching up after an outage), the simulator
//              answering after 100 ms as FBR's cloud does at best: sales per second through the bridge / the
//              upstream alone, i.e. whether the bridge, not FBR, becomes the limit.
// Upstream and bridge take turns (rounds), and each keeps its best round, so a burst of load from others on
// the machine does not land on one side only. The ratios are what count.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { POS_TOKEN, posSale } from "./harness/invoices.ts";
import { type BenchServer, startServer } from "./harness/proc.ts";
import type { BenchContext } from "./harness/results.ts";
import { type LoadOptions, type LoadResult, load } from "./harness/wrk.ts";

const TILLS = 32;
const FBR_LATENCY_MS = 100;

interface Target {
  url: string;
}

function describe(result: LoadResult): string {
  return `${result.rate.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms (${result.requests} sales)`;
}

/** p50 and p99 of fsync after a 4 KiB write, in the folder the bridge's journal lives in (the tmpdir). */
function fsyncLatency(samples: number): { p50Ms: number; p99Ms: number } {
  const dir = mkdtempSync(join(tmpdir(), "raseed-fsync-"));
  const fd = openSync(join(dir, "probe"), "w");
  const page = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      writeSync(fd, page, 0, page.length, (i % 16) * page.length);
      const started = performance.now();
      fsyncSync(fd);
      times.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)] ?? Number.NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** An upstream (simulator) and a bridge uploading to it, driven in turns. */
async function pair(
  latencyMs: number,
  work: (
    drive: (target: "upstream" | "bridge", connections: number, seconds: number) => Promise<LoadResult>,
  ) => Promise<void>,
): Promise<void> {
  const body = JSON.stringify(posSale("@@N@@"));
  const simulator = await startServer<Target>("simulator", { "latency-ms": latencyMs });
  let bridge: BenchServer<Target> | undefined;
  try {
    bridge = await startServer<Target>("pos-bridge", { "fbr-url": simulator.info.url });
    const targets = {
      upstream: {
        url: `${simulator.info.url}/FBR/v1/api/Live/PostData`,
        authorization: `Bearer ${POS_TOKEN}`,
      },
      bridge: { url: `${bridge.info.url}/api/IMSFiscal/GetInvoiceNumberByModel` },
    } satisfies Record<string, Partial<LoadOptions>>;
    let run = 0;
    await work(async (target, connections, seconds) => {
      run += 1;
      const options = { ...targets[target], body, connections, seconds, expect: '"Code":"100"' };
      const result = await load({ ...options, prefix: `r${run}` });
      if (result.errors > 0) {
        throw new Error(`bench: ${result.errors} of ${result.requests} sales failed against ${options.url}`);
      }
      return result;
    });
  } finally {
    await bridge?.stop();
    await simulator.stop();
  }
}

export default async function posBridgeBench(context: BenchContext): Promise<void> {
  const seconds = context.quick ? 2 : 5;
  const rounds = context.quick ? 1 : 2;
  const best = async (
    drive: (target: "upstream" | "bridge", connections: number, seconds: number) => Promise<LoadResult>,
    connections: number,
    pick: (a: LoadResult, b: LoadResult) => LoadResult,
  ) => {
    // Warm both (JIT, connection pools, the journal's first pages).
    await drive("upstream", connections, 1);
    await drive("bridge", connections, 1);
    let upstream: LoadResult | undefined;
    let viaBridge: LoadResult | undefined;
    for (let round = 0; round < rounds; round++) {
      const u = await drive("upstream", connections, seconds);
      const b = await drive("bridge", connections, seconds);
      upstream = upstream === undefined ? u : pick(upstream, u);
      viaBridge = viaBridge === undefined ? b : pick(viaBridge, b);
    }
    return { upstream: upstream as LoadResult, viaBridge: viaBridge as LoadResult };
  };

  await pair(0, async (drive) => {
    const latency = await best(drive, 1, (a, b) => (b.p99Ms < a.p99Ms ? b : a));
    const fsync = fsyncLatency(context.quick ? 50 : 200);
    console.log(`  one till, upstream alone: ${describe(latency.upstream)}`);
    console.log(`  one till, through the bridge: ${describe(latency.viaBridge)}`);
    console.log(
      `  this disk's fsync: p50 ${fsync.p50Ms.toFixed(2)} ms, p99 ${fsync.p99Ms.toFixed(2)} ms (two are on each sale's path)`,
    );
    const added = latency.viaBridge.p99Ms - latency.upstream.p99Ms;
    context.results.add({
      key: "posBridge.p99Added",
      label: `p99 added by the bridge at one till (upstream alone p99 ${latency.upstream.p99Ms.toFixed(2)} ms; fsync p99 ${fsync.p99Ms.toFixed(2)} ms)`,
      value: added,
      unit: "ms",
      goal: "<= 5",
      met: added <= 5,
    });
    context.results.add({
      key: "posBridge.p50Added",
      label: `p50 added by the bridge at one till (upstream alone p50 ${latency.upstream.p50Ms.toFixed(2)} ms; fsync p50 ${fsync.p50Ms.toFixed(2)} ms)`,
      value: latency.viaBridge.p50Ms - latency.upstream.p50Ms,
      unit: "ms",
    });
  });

  await pair(FBR_LATENCY_MS, async (drive) => {
    const sustained = await best(drive, TILLS, (a, b) => (b.rate > a.rate ? b : a));
    console.log(`  ${TILLS} tills, upstream alone (${FBR_LATENCY_MS} ms): ${describe(sustained.upstream)}`);
    console.log(`  ${TILLS} tills, through the bridge: ${describe(sustained.viaBridge)}`);
    const ratio = sustained.viaBridge.rate / sustained.upstream.rate;
    context.results.add({
      key: "posBridge.vsUpstream",
      label: `sales/s through the bridge at ${TILLS} tills / the upstream alone at ${FBR_LATENCY_MS} ms (${sustained.upstream.rate.toFixed(0)}/s)`,
      value: ratio,
      unit: "x",
      goal: ">= 0.8",
      met: ratio >= 0.8,
    });
  });
}
