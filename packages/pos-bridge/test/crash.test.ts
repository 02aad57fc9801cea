// The bridge killed with SIGKILL while uploads are on the wire: after a restart nothing is lost and nothing
// is reported twice. Sales caught mid-upload come back in doubt and are reconciled against FBR's records
// (here the simulator's inspection), exactly as an operator would with `raseed pos-bridge reconcile`.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { RunningSimulator } from "@raseed/simulator";
import { afterAll, describe, expect, it } from "vitest";
import { journalPath, reconcileSale, SaleJournal } from "../src/index.ts";
import {
  kbSale,
  postSale,
  SAMPLE_POS_ID,
  SAMPLE_TOKEN,
  simImsInvoices,
  startSim,
  tempDir,
  waitUntil,
} from "./helpers.ts";

const SALES = 40;
const runner = fileURLToPath(new URL("./fixtures/run-bridge.ts", import.meta.url));
const children: ChildProcess[] = [];
let sim: RunningSimulator | undefined;
const dir = tempDir("raseed-crash-");

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await sim?.close();
  dir.remove();
});

/**
 * A bridge in its own process. It logs every settled upload as a JSON line on stderr (level debug); `logged`
 * emits "line" for each, so the test waits on the child's own progress instead of the clock.
 */
async function spawnBridge(
  simUrl: string,
): Promise<{ child: ChildProcess; url: string; logged: EventEmitter<{ line: [] }> }> {
  const child = spawn(process.execPath, ["--conditions=@raseed/source", "--import", "tsx", runner], {
    env: {
      ...process.env,
      RASEED_POS_BRIDGE_POS_ID: String(SAMPLE_POS_ID),
      RASEED_POS_BRIDGE_TOKEN: SAMPLE_TOKEN,
      RASEED_POS_BRIDGE_FBR_URL: simUrl,
      RASEED_POS_BRIDGE_DATA_DIR: dir.path,
      RASEED_POS_BRIDGE_PORT: "0",
      RASEED_POS_BRIDGE_TILL_TIMEOUT_MS: "80",
      RASEED_POS_BRIDGE_MAX_BACKOFF_MS: "100",
      RASEED_POS_BRIDGE_POLL_INTERVAL_MS: "20",
      RASEED_POS_BRIDGE_UPLOAD_CONCURRENCY: "3",
      RASEED_POS_BRIDGE_LOG_LEVEL: "debug",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const logged = new EventEmitter<{ line: [] }>();
  // Always read stderr (a full pipe would block the child); each line is one event.
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", () => logged.emit("line"));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(() => {
      throw new Error("bridge process exited before listening");
    }),
  ])) as [string];
  return { child, url: (JSON.parse(line) as { url: string }).url, logged };
}

// Two bridge processes from TypeScript source and 40 slow uploads: a ceiling for a loaded machine, not a speed claim.
describe("crash", { timeout: 180_000 }, () => {
  it("loses nothing and doubles nothing when the bridge is killed during uploads", async () => {
    sim = await startSim();
    const simUrl = sim.url;
    // FBR slower than the till's bound: every sale is answered provisionally while its upload is still on
    // the wire, so the kill always lands with uploads in flight.
    sim.setFaults({ global: { kind: "latency", latencyMs: 600 } });
    const first = await spawnBridge(simUrl);

    const usins = Array.from({ length: SALES }, (_, index) => `CRASH-${String(index).padStart(3, "0")}`);
    const beforeKill = usins.slice(0, SALES / 2);
    const afterRestart = usins.slice(SALES / 2);
    for (const usin of beforeKill) {
      const reply = await postSale(first.url, kbSale(usin));
      // Answered (fiscal or provisional) means journaled.
      expect(["100", "150"]).toContain(String(reply.body.Code));
    }
    first.child.kill("SIGKILL");
    await once(first.child, "exit");

    // Restart on the same journal (the dead process's lock is taken over); the POS carries on.
    sim.setFaults({});
    const second = await spawnBridge(simUrl);
    const journal = new SaleJournal(journalPath(dir.path));
    try {
      // Nothing answered before the kill is missing from the journal.
      for (const usin of beforeKill) expect(journal.findSale(SAMPLE_POS_ID, usin)).toBeDefined();
      // The sales on the wire at the kill came back in doubt, not pending.
      expect(journal.backlogStats().byState.in_doubt).toBeGreaterThan(0);
      for (const usin of afterRestart) {
        expect(["100", "150"]).toContain(String((await postSale(second.url, kbSale(usin))).body.Code));
      }
      const settled = () => {
        const byState = journal.backlogStats().byState;
        return byState.pending === 0 && byState.uploading === 0;
      };
      await waitUntil(second.logged, "line", settled, "the backlog to drain");
      // Reconcile what was on the wire at the kill, by what FBR actually has.
      const atFbr = new Map(
        (await simImsInvoices(simUrl)).map((invoice) => [invoice.USIN, invoice.invoiceNumber]),
      );
      for (const sale of journal.listSales({ states: ["in_doubt"] })) {
        const number = atFbr.get(sale.usin);
        const result = reconcileSale(
          journal,
          sale.usin,
          sale.posId,
          number === undefined ? { kind: "resend" } : { kind: "fbrNumber", fbrInvoiceNumber: number },
          Date.now(),
        );
        expect(result.ok).toBe(true);
      }
      await waitUntil(
        second.logged,
        "line",
        () => journal.backlogStats().byState.accepted === SALES,
        "every sale accepted",
      );

      const invoices = await simImsInvoices(simUrl);
      expect(invoices).toHaveLength(SALES);
      expect(new Set(invoices.map((invoice) => invoice.USIN))).toEqual(new Set(usins));
      expect(invoices.every((invoice) => invoice.postCount === 1)).toBe(true);
      for (const invoice of invoices) {
        expect(journal.findSale(SAMPLE_POS_ID, invoice.USIN as string)?.fbrInvoiceNumber).toBe(
          invoice.invoiceNumber,
        );
      }
      // The POS asking again after all that gets the number, not a new upload.
      const again = await postSale(second.url, kbSale(usins[0] as string));
      expect(again.body).toMatchObject({
        Code: "100",
        InvoiceNumber: atFbr.get(usins[0] as string) ?? expect.any(String),
      });
      expect(await simImsInvoices(simUrl)).toHaveLength(SALES);
    } finally {
      await journal.close();
      second.child.kill("SIGTERM");
      await once(second.child, "exit");
    }
  });
});
