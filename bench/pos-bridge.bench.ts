// The POS bridge's cost at the till: the latency it adds over the upstream's own (p50/p99, both measured
// in the same run, interleaved, against the simulator on loopback), and sustained sales per second through
// the bridge. Request counts are fixed so the bench stays short on shared machines.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBridgeConfig, startPosBridge } from "@raseed/pos-bridge";
import { startSimulator } from "@raseed/simulator";

const POS_ID = 110014;
const TOKEN = "1298b5eb-b252-3d97-8622-a4a69d5bf818";
const LATENCY_SAMPLES = 300;
const WARM_UP = 30;
const SUSTAINED_SALES = 600;
const SUSTAINED_CONCURRENCY = 8;

function sale(usin: string): string {
  return JSON.stringify({
    InvoiceNumber: "",
    POSID: POS_ID,
    USIN: usin,
    DateTime: "2024-03-15 18:42:07",
    TotalSaleValue: 1298,
    TotalTaxCharged: 220.66,
    TotalQuantity: 1,
    Discount: 0,
    FurtherTax: 0,
    TotalBillAmount: 1518.66,
    PaymentMode: 1,
    InvoiceType: 1,
    Items: [
      {
        ItemCode: "IT_1011",
        ItemName: "Test Item",
        PCTCode: "11001010",
        Quantity: 1,
        TaxRate: 17,
        SaleValue: 1298,
        Discount: 0,
        FurtherTax: 0,
        TaxCharged: 220.66,
        TotalAmount: 1518.66,
        InvoiceType: 1,
      },
    ],
  });
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

async function timedPost(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers, body });
  const answer = (await response.json()) as { Code?: unknown };
  const elapsed = performance.now() - started;
  if (response.status !== 200 || answer.Code !== "100") {
    throw new Error(`bench: ${url} answered HTTP ${response.status} Code ${String(answer.Code)}`);
  }
  return elapsed;
}

export default async function posBridgeBench(): Promise<void> {
  const sim = await startSimulator({ port: 0 });
  const dataDir = mkdtempSync(join(tmpdir(), "raseed-bridge-bench-"));
  const config = loadBridgeConfig(
    { posId: String(POS_ID), token: TOKEN, fbrUrl: sim.url, dataDir, port: "0", env: "sandbox" },
    { RASEED_POS_BRIDGE_LOG_LEVEL: "silent" },
  );
  const bridge = await startPosBridge(config);
  const upstreamUrl = `${sim.url}/FBR/v1/api/Live/PostData`;
  const bridgeUrl = `${bridge.url}/api/IMSFiscal/GetInvoiceNumberByModel`;
  const upstreamHeaders = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const bridgeHeaders = { "content-type": "application/json" };
  try {
    for (let i = 0; i < WARM_UP; i++) {
      await timedPost(upstreamUrl, sale(`WARM-U-${i}`), upstreamHeaders);
      await timedPost(bridgeUrl, sale(`WARM-B-${i}`), bridgeHeaders);
    }
    // Interleaved, one at a time, as a till calls: each bridge sale does journal + upload + settle.
    const direct: number[] = [];
    const through: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      direct.push(await timedPost(upstreamUrl, sale(`LAT-U-${i}`), upstreamHeaders));
      through.push(await timedPost(bridgeUrl, sale(`LAT-B-${i}`), bridgeHeaders));
    }
    direct.sort((a, b) => a - b);
    through.sort((a, b) => a - b);
    const row = (p: number) => {
      const upstream = percentile(direct, p);
      const viaBridge = percentile(through, p);
      return `p${p}: upstream ${upstream.toFixed(2)} ms, through the bridge ${viaBridge.toFixed(2)} ms, added ${(viaBridge - upstream).toFixed(2)} ms (x${(viaBridge / upstream).toFixed(2)})`;
    };
    console.log(`latency at the till, ${LATENCY_SAMPLES} sales each, interleaved:`);
    console.log(`  ${row(50)}`);
    console.log(`  ${row(99)}`);

    // Sustained: several tills' worth of concurrent sales through the bridge, then the upstream alone.
    const sustained = async (
      url: string,
      headers: Record<string, string>,
      prefix: string,
    ): Promise<number> => {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: SUSTAINED_CONCURRENCY }, async () => {
          while (next < SUSTAINED_SALES) {
            next += 1;
            await timedPost(url, sale(`${prefix}-${next}`), headers);
          }
        }),
      );
      return SUSTAINED_SALES / ((performance.now() - started) / 1000);
    };
    const upstreamRate = await sustained(upstreamUrl, upstreamHeaders, "SUS-U");
    const bridgeRate = await sustained(bridgeUrl, bridgeHeaders, "SUS-B");
    console.log(
      `sustained, ${SUSTAINED_SALES} sales at concurrency ${SUSTAINED_CONCURRENCY}: upstream alone ${upstreamRate.toFixed(0)}/s, through the bridge ${bridgeRate.toFixed(0)} sales/s (x${(bridgeRate / upstreamRate).toFixed(2)})`,
    );
    const backlog = bridge.bridge.journal.backlogStats().byState;
    console.log(
      `  journal after the run: ${backlog.accepted} accepted, ${backlog.pending} pending, ${backlog.in_doubt} in doubt`,
    );
  } finally {
    await bridge.close();
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
