// FBR unreachable: 200 sales rung up while the simulator is stopped are all answered provisionally (how fast
// is the bench's to measure); when it comes back on the same port, every sale is uploaded exactly once and its
// number can be looked up by USIN.
import { afterAll, describe, expect, it } from "vitest";
import {
  bridgeConfig,
  getJson,
  kbSale,
  postSale,
  SAMPLE_POS_ID,
  simImsInvoices,
  startBridge,
  startSim,
  tempDir,
  waitUntil,
} from "./helpers.ts";

const SALES = 200;
const TILL_BOUND_MS = 1000;
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

// 200 sales through real HTTP twice over: a ceiling for a loaded 2-core machine, not a speed claim.
describe("offline", { timeout: 120_000 }, () => {
  it("answers 200 sales provisionally while FBR is down, then uploads each exactly once", async () => {
    const first = await startSim();
    const simUrl = first.url;
    const port = Number(new URL(simUrl).port);
    await first.close();

    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const bridge = await startBridge(
      bridgeConfig(dir.path, simUrl, { tillTimeoutMs: TILL_BOUND_MS, maxBackoffMs: 150, pollIntervalMs: 20 }),
    );
    cleanups.push(() => bridge.close());

    const usins = Array.from({ length: SALES }, (_, index) => `OFF-${String(index).padStart(4, "0")}`);
    for (const usin of usins) {
      const reply = await postSale(bridge.url, kbSale(usin));
      expect(reply.body).toMatchObject({ Code: "150", Response: "Issued offline, pending FBR", USIN: usin });
    }
    const stats = bridge.bridge.journal.backlogStats();
    expect(stats.byState.pending + stats.byState.uploading).toBe(SALES);
    expect(stats.provisionalTotal).toBe(SALES);

    // FBR comes back where it was.
    const sim = await startSim(port);
    cleanups.push(() => sim.close());
    await waitUntil(
      bridge.bridge.events,
      "attempt",
      () => bridge.bridge.journal.backlogStats().byState.accepted === SALES,
      "all uploads accepted",
    );

    const atFbr = await simImsInvoices(sim.url);
    expect(atFbr).toHaveLength(SALES);
    expect(new Set(atFbr.map((invoice) => invoice.USIN))).toEqual(new Set(usins));
    expect(atFbr.every((invoice) => invoice.postCount === 1)).toBe(true);

    const numberByUsin = new Map(atFbr.map((invoice) => [invoice.USIN, invoice.invoiceNumber]));
    for (const usin of [usins[0], usins[99], usins[199]] as string[]) {
      const found = await getJson(`${bridge.url}/api/IMSFiscal/GetInvoiceNumberByUSIN?usin=${usin}`);
      expect(found.body).toEqual({
        InvoiceNumber: numberByUsin.get(usin),
        Code: "100",
        Response: "Fiscal Invoice Number generated successfully.",
        Errors: null,
      });
    }
    for (const usin of usins) {
      expect(bridge.bridge.journal.findSale(SAMPLE_POS_ID, usin)?.fbrInvoiceNumber).toBe(
        numberByUsin.get(usin),
      );
    }
  });
});
