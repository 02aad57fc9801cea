import { type AddressInfo, createServer } from "node:net";
// The bridge against the simulator over real HTTP: FBR's documented request shapes and POS integrations in,
// FBR's component's replies out; one upload per USIN; provisional replies; in-doubt handling; metrics.
import { type RunningSimulator, startSimulator } from "@raseed/simulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import documentation from "../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import integrations from "../../../spec/vectors/ims/pos-integrations.json" with { type: "json" };
import { BRIDGE_REPLY_CODES } from "../src/index.ts";
import {
  bridgeConfig,
  getJson,
  kbSale,
  loopPasses,
  postSale,
  SAMPLE_POS_ID,
  SAMPLE_TOKEN,
  simImsInvoices,
  startBridge,
  startSim,
  tempDir,
  waitUntil,
} from "./helpers.ts";

/** Waits until a journaled sale is in `state`, re-checking after each upload attempt the bridge settles. */
function saleReaches(usin: string, state: string): Promise<void> {
  return waitUntil(
    bridge.bridge.events,
    "attempt",
    () => bridge.bridge.journal.findSale(SAMPLE_POS_ID, usin)?.state === state,
    `${usin} ${state}`,
  );
}

let sim: RunningSimulator;
let dir: ReturnType<typeof tempDir>;
let bridge: Awaited<ReturnType<typeof startBridge>>;
const cleanupDirs: ReturnType<typeof tempDir>[] = [];

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  sim.reset();
  dir = tempDir();
  bridge = await startBridge(bridgeConfig(dir.path, sim.url));
});
afterEach(async () => {
  await bridge.close();
  dir.remove();
  for (const extra of cleanupDirs.splice(0)) extra.remove();
});

describe("FBR's component contract", () => {
  it.each(["/api/IMSFiscal/Get", "/api/imsfiscal/get", "/API/IMSFISCAL/GET", "/api/IMSFiscal/Get/"])(
    "answers the health check at %s",
    async (path) => {
      const response = await fetch(`${bridge.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('["Service is responding"]');
    },
  );

  const documented: [string, unknown][] = [
    ["FBR's KB model", documentation.kbModel],
    ["FBR's .NET sample (Newtonsoft shapes)", documentation.dotNetSample],
    ["a POS sending camelCase and string numbers", integrations.stringNumbersCamelCase],
    ["a .NET JavaScriptSerializer POS (/Date(ms)/, enum names)", integrations.dotNetJavaScriptSerializer],
    ["a JavaScript till sending Date.toJSON() in UTC", integrations.javascriptDateToJson],
  ];
  it.each(documented)("fiscalises %s with FBR's exact success reply", async (_name, body) => {
    const reply = await postSale(bridge.url, body);
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body)).toEqual(["InvoiceNumber", "Code", "Response", "Errors"]);
    expect(reply.body).toMatchObject({
      Code: "100",
      Response: "Fiscal Invoice Number generated successfully.",
      Errors: null,
    });
    const invoices = await simImsInvoices(sim.url);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]?.invoiceNumber).toBe(reply.body.InvoiceNumber);
    expect(invoices[0]?.postCount).toBe(1);
  });

  it("fiscalises a credit note after its original sale", async () => {
    const sale = await postSale(bridge.url, integrations.stringNumbersCamelCase);
    const credit = await postSale(bridge.url, integrations.creditNote);
    expect([sale.body.Code, credit.body.Code]).toEqual(["100", "100"]);
    expect(credit.body.InvoiceNumber).not.toBe(sale.body.InvoiceNumber);
  });

  it("answers the same USIN with the number already obtained and never uploads it twice", async () => {
    const first = await postSale(bridge.url, kbSale("DUP-1"));
    const again = await postSale(bridge.url, kbSale("DUP-1"));
    // A POS that re-renders the time on retry is still the same sale.
    const retimed = await postSale(bridge.url, kbSale("DUP-1", { DateTime: "2020-01-01 12:00:05" }));
    expect(first.body.Code).toBe("100");
    expect(again.text).toBe(first.text);
    expect(retimed.text).toBe(first.text);
    const invoices = await simImsInvoices(sim.url);
    expect(invoices.map((invoice) => [invoice.USIN, invoice.postCount])).toEqual([["DUP-1", 1]]);
    expect(
      bridge.logger.lines.some((line) => line.message.includes("USIN repeated with different content")),
    ).toBe(true);
  });

  it("refuses a different sale under a used USIN with code 107, never the old sale's number, uploading nothing", async () => {
    const first = await postSale(bridge.url, kbSale("DUP-2"));
    expect(first.body.Code).toBe("100");
    const other = await postSale(bridge.url, kbSale("DUP-2", { BuyerName: "Another Buyer" }));
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({
      Code: BRIDGE_REPLY_CODES.usinConflict,
      InvoiceNumber: "Not Available",
      Response: "USIN already used for a different sale",
    });
    expect(other.text).not.toContain(String(first.body.InvoiceNumber));
    const invoices = await simImsInvoices(sim.url);
    expect(invoices.map((invoice) => [invoice.USIN, invoice.postCount])).toEqual([["DUP-2", 1]]);
    // The journal keeps the first sale; the original resent still gets its number.
    expect((await postSale(bridge.url, kbSale("DUP-2"))).text).toBe(first.text);
  });

  it("uploads a corrected sale under the USIN of one FBR rejected (FBR issued no number)", async () => {
    await bridge.close();
    // A simulator that also knows till 110099 with its own token.
    const ownToken = "till-110099-own-token";
    const sim2 = await startSimulator({
      port: 0,
      config: { posTerminals: [{ posId: "110099", token: ownToken }] },
    });
    try {
      // First the till is set up with another till's token: FBR (the simulator) rejects the POSID, 102.
      bridge = await startBridge(
        bridgeConfig(dir.path, sim2.url, { tills: [{ posId: 110099, token: SAMPLE_TOKEN }] }),
      );
      const rejected = await postSale(bridge.url, kbSale("REJ-2", { POSID: 110099 }));
      expect(rejected.body.Code).toBe("102");
      await bridge.close();
      // The registration is fixed and the cashier resends the sale amended under the same USIN.
      bridge = await startBridge(
        bridgeConfig(dir.path, sim2.url, { tills: [{ posId: 110099, token: ownToken }] }),
      );
      const corrected = kbSale("REJ-2", { POSID: 110099, BuyerName: "Corrected Buyer" });
      const reply = await postSale(bridge.url, corrected);
      expect(reply.body.Code).toBe("100");
      const invoices = await simImsInvoices(sim2.url);
      expect(invoices.map((invoice) => [invoice.USIN, invoice.postCount])).toEqual([["REJ-2", 1]]);
      expect(invoices[0]?.invoiceNumber).toBe(reply.body.InvoiceNumber);
      expect(bridge.bridge.journal.findSale(110099, "REJ-2")).toMatchObject({
        state: "accepted",
        rejectionCode: null,
      });
      expect(JSON.parse(bridge.bridge.journal.findSale(110099, "REJ-2")?.payload ?? "{}")).toMatchObject({
        BuyerName: "Corrected Buyer",
      });
    } finally {
      await sim2.close();
    }
  });

  it("answers invalid data with a non-100 code and every problem at once, uploading nothing", async () => {
    const body = kbSale("BAD-1", {
      PaymentMode: 9,
      TotalSaleValue: 5,
      Items: [
        { ...documentation.kbModel.Items[0], PCTCode: "11.00.1010", TaxRate: "abc" },
        { ...documentation.kbModel.Items[0], ItemName: "", InvoiceType: 2 },
      ],
    });
    const reply = await postSale(bridge.url, body);
    expect(reply.status).toBe(200);
    expect(reply.body.Code).toBe("102");
    expect(reply.body.InvoiceNumber).toBe("Not Available");
    const errors = reply.body.Errors as { Code: string; Field: string; Item: number | null; Path: string }[];
    const where = errors.map((error) => `${error.Field}@${error.Item ?? "header"}`);
    expect(where).toEqual(
      expect.arrayContaining([
        "PaymentMode@header",
        "TaxRate@1",
        "PCTCode@1",
        "ItemName@2",
        "InvoiceType@2",
        "TotalSaleValue@header",
      ]),
    );
    expect(await simImsInvoices(sim.url)).toEqual([]);
  });

  it("relays FBR's own rejection with its problems, and repeats it for the same USIN without a second upload", async () => {
    await bridge.close();
    // A token for another POSID: the simulator (like FBR) rejects the POSID.
    bridge = await startBridge(
      bridgeConfig(dir.path, sim.url, { tills: [{ posId: 110099, token: SAMPLE_TOKEN }] }),
    );
    const body = kbSale("REJ-1", { POSID: 110099 });
    const reply = await postSale(bridge.url, body);
    expect(reply.body.Code).not.toBe("100");
    expect(reply.body.Code).not.toBe(BRIDGE_REPLY_CODES.provisional);
    // FBR's own Errors are relayed as FBR wrote them.
    expect(reply.body.Errors).toEqual([
      expect.objectContaining({ Field: "POSID", Message: expect.stringContaining("POSID") }),
    ]);
    const again = await postSale(bridge.url, body);
    expect(again.text).toBe(reply.text);
    expect(bridge.bridge.journal.findSale(110099, "REJ-1")).toMatchObject({ state: "rejected", attempts: 1 });
  });

  it("uploads to FBR's production IMS path with --env production, from its own data folder", async () => {
    await bridge.close();
    // The folder already holds sandbox sales: a production bridge refuses it rather than upload them.
    await expect(startBridge(bridgeConfig(dir.path, sim.url, { environment: "production" }))).rejects.toThrow(
      /holds sandbox sales; a production bridge needs its own --data-dir/,
    );
    const productionDir = tempDir();
    cleanupDirs.push(productionDir);
    bridge = await startBridge(bridgeConfig(productionDir.path, sim.url, { environment: "production" }));
    expect((await postSale(bridge.url, kbSale("PROD-1"))).body.Code).toBe("100");
    const { body } = await getJson(`${sim.url}/__sim/invoices`);
    const [invoice] = (body as { invoices: { path: string; environment: string }[] }).invoices;
    expect(invoice).toMatchObject({ path: "/imsp/v1/api/Live/PostData", environment: "production" });
  });

  it("reports to PRA (Punjab) with imsAuthority pra: PRA's PostData path, receipts naming PRA and its PNTN", async () => {
    await bridge.close();
    const praDir = tempDir();
    cleanupDirs.push(praDir);
    bridge = await startBridge(
      bridgeConfig(praDir.path, sim.url, {
        imsAuthority: "pra",
        receipt: { businessName: "Lahore Cafe", ntn: "P1234567-8" },
      }),
    );
    expect((await postSale(bridge.url, kbSale("PRA-1"))).body.Code).toBe("100");
    const { body } = await getJson(`${sim.url}/__sim/invoices`);
    const invoices = (body as { invoices: { path: string; USIN?: string }[] }).invoices;
    expect(invoices.find((invoice) => invoice.USIN === "PRA-1")).toMatchObject({
      path: "/ims/sandbox/api/Live/PostData",
    });
    const receipt = await (await fetch(`${bridge.url}/api/IMSFiscal/Receipt?usin=PRA-1&format=text`)).text();
    expect(receipt).toContain("PNTN: P1234567-8");
    expect(receipt).toContain("PRA Invoice Number");
    expect(receipt).toContain("Reported to the Punjab Revenue Authority");
    expect(receipt).not.toContain("FBR");
  });

  it("looks up a sale's number by USIN (Raseed's extension)", async () => {
    const sale = await postSale(bridge.url, kbSale("LOOK-1"));
    const found = await getJson(`${bridge.url}/api/IMSFiscal/GetInvoiceNumberByUSIN?usin=LOOK-1`);
    expect(found).toEqual({ status: 200, body: sale.body });
    const missing = await getJson(`${bridge.url}/api/IMSFiscal/GetInvoiceNumberByUSIN?USIN=NOPE`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ Code: BRIDGE_REPLY_CODES.unknownSale });
    for (const posid of ["abc", "0", "-5", "1.5"]) {
      const bad = await getJson(
        `${bridge.url}/api/IMSFiscal/GetInvoiceNumberByUSIN?usin=LOOK-1&posid=${posid}`,
      );
      expect(bad.status, posid).toBe(400);
      expect(bad.body, posid).toMatchObject({
        Code: BRIDGE_REPLY_CODES.invalidData,
        Errors: [expect.objectContaining({ Field: "POSID" })],
      });
    }
    const byPosId = await getJson(
      `${bridge.url}/api/IMSFiscal/GetInvoiceNumberByUSIN?usin=LOOK-1&posid=${SAMPLE_POS_ID}`,
    );
    expect(byPosId).toEqual({ status: 200, body: sale.body });
  });
});

describe("when FBR is slow or loses answers", () => {
  it("answers provisionally within the till's bound, then uploads in the background", async () => {
    await bridge.close();
    bridge = await startBridge(bridgeConfig(dir.path, sim.url, { tillTimeoutMs: 150 }));
    sim.setFaults({ global: { kind: "latency", latencyMs: 1500 } });
    // FBR answers after 1.5 s and the till's bound is 150 ms: only the bound can make this reply provisional
    // (no stopwatch; how fast the bound fires is the bench's to measure).
    const reply = await postSale(bridge.url, kbSale("SLOW-1"));
    expect(reply.body).toEqual({
      InvoiceNumber: "Not Available",
      Code: "150",
      Response: "Issued offline, pending FBR",
      Errors: null,
      USIN: "SLOW-1",
      Provisional: true,
    });
    await saleReaches("SLOW-1", "accepted");
    const found = await getJson(`${bridge.url}/api/IMSFiscal/GetInvoiceNumberByUSIN?usin=SLOW-1`);
    expect(found.body).toMatchObject({ Code: "100" });
    const invoices = await simImsInvoices(sim.url);
    expect(invoices.map((invoice) => [invoice.USIN, invoice.postCount])).toEqual([["SLOW-1", 1]]);
    expect(invoices[0]?.invoiceNumber).toBe((found.body as { InvoiceNumber: string }).InvoiceNumber);
  });

  it("retries throttling and 503 until FBR accepts", async () => {
    sim.setFaults({ global: { kind: "http503", times: 2, retryAfterSeconds: 0 } });
    const reply = await postSale(bridge.url, kbSale("BUSY-1"));
    expect(reply.body.Code).toBe("150");
    await saleReaches("BUSY-1", "accepted");
    expect((await simImsInvoices(sim.url)).map((invoice) => invoice.postCount)).toEqual([1]);
  });

  it("puts a sale in doubt when FBR never answers, and does not send it again", async () => {
    await bridge.close();
    bridge = await startBridge(bridgeConfig(dir.path, sim.url, { tillTimeoutMs: 100, uploadTimeoutMs: 300 }));
    sim.setFaults({ global: { kind: "hang", times: 1 } });
    expect((await postSale(bridge.url, kbSale("HANG-1"))).body.Code).toBe("150");
    await saleReaches("HANG-1", "in_doubt");
    // The background loop goes round several times and leaves the in-doubt sale alone.
    await loopPasses(bridge.bridge, 5);
    const sale = bridge.bridge.journal.findSale(SAMPLE_POS_ID, "HANG-1");
    expect(bridge.bridge.journal.attemptCount(sale?.id ?? -1)).toBe(1);
  });

  it("does not re-upload a sale whose answer was lost; reconcile settles it", async () => {
    sim.setFaults({ global: { kind: "commit-then-drop", times: 1 } });
    const reply = await postSale(bridge.url, kbSale("LOST-1"));
    expect(reply.body.Code).toBe("150");
    const sale = bridge.bridge.journal.findSale(SAMPLE_POS_ID, "LOST-1");
    expect(sale?.state).toBe("in_doubt");
    // The POS asks again: still provisional, still no second upload.
    expect((await postSale(bridge.url, kbSale("LOST-1"))).body.Code).toBe("150");
    await loopPasses(bridge.bridge, 5);
    const atFbr = await simImsInvoices(sim.url);
    expect(atFbr.map((invoice) => [invoice.USIN, invoice.postCount])).toEqual([["LOST-1", 1]]);
    expect(bridge.bridge.journal.attemptCount(sale?.id ?? -1)).toBe(1);
    // The operator finds it at FBR and records the number.
    expect(
      bridge.bridge.journal.resolveAsAccepted(
        SAMPLE_POS_ID,
        "LOST-1",
        atFbr[0]?.invoiceNumber ?? "",
        Date.now(),
      ),
    ).toBe(true);
    expect((await postSale(bridge.url, kbSale("LOST-1"))).body).toMatchObject({
      Code: "100",
      InvoiceNumber: atFbr[0]?.invoiceNumber,
    });
  });

  it("holds a till's sales when FBR refuses its token, and logs an error", async () => {
    await bridge.close();
    bridge = await startBridge(
      bridgeConfig(dir.path, sim.url, { tills: [{ posId: SAMPLE_POS_ID, token: "wrong-token" }] }),
    );
    const reply = await postSale(bridge.url, kbSale("AUTH-1"));
    expect(reply.body.Code).toBe("150");
    expect(bridge.bridge.journal.findSale(SAMPLE_POS_ID, "AUTH-1")?.state).toBe("held");
    expect(
      bridge.logger.lines.some((line) => line.level === "error" && line.message.includes("credentials")),
    ).toBe(true);
    expect(JSON.stringify(bridge.logger.lines)).not.toContain("wrong-token");
    // The till's queue is paused: the next sale is kept but not sent with the refused token.
    expect((await postSale(bridge.url, kbSale("AUTH-2"))).body.Code).toBe("150");
    await loopPasses(bridge.bridge, 5);
    expect(await bridge.bridge.metricsText()).toContain(
      'raseed_pos_bridge_upload_attempts_total{outcome="unauthorised"} 1',
    );
    expect(bridge.bridge.journal.findSale(SAMPLE_POS_ID, "AUTH-2")?.attempts).toBe(0);
    // A restart with the right token sends both.
    await bridge.close();
    bridge = await startBridge(bridgeConfig(dir.path, sim.url));
    await waitUntil(
      bridge.bridge.events,
      "attempt",
      () => bridge.bridge.journal.backlogStats().byState.accepted === 2,
      "both held sales accepted",
    );
  });
});

describe("receipts", () => {
  it("prints the fiscal receipt once FBR has the sale, and a provisional one before", async () => {
    const fiscal = await postSale(bridge.url, kbSale("RCPT-1"));
    const text = await (await fetch(`${bridge.url}/api/IMSFiscal/Receipt?usin=RCPT-1&format=text`)).text();
    expect(text).toContain(String(fiscal.body.InvoiceNumber));
    expect(text).toContain("[QR: ");
    const pdf = await fetch(`${bridge.url}/api/IMSFiscal/Receipt?usin=RCPT-1`);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    const escpos = Buffer.from(
      await (await fetch(`${bridge.url}/api/IMSFiscal/Receipt?usin=RCPT-1&format=escpos`)).arrayBuffer(),
    );
    expect([...escpos.subarray(0, 2)]).toEqual([0x1b, 0x40]);

    await bridge.close();
    bridge = await startBridge(bridgeConfig(dir.path, "http://127.0.0.1:9", { tillTimeoutMs: 200 }));
    expect((await postSale(bridge.url, kbSale("RCPT-2"))).body.Code).toBe("150");
    const provisional = await (
      await fetch(`${bridge.url}/api/IMSFiscal/Receipt?usin=RCPT-2&format=text`)
    ).text();
    expect(provisional).toContain("ISSUED OFFLINE, PENDING FBR");
    expect(provisional).not.toContain("[QR: ");
  });
});

describe("observability and tills", () => {
  it("exposes backlog age and counts on /metrics and warns past the threshold", async () => {
    await bridge.close();
    // A port nothing listens on: connection refused, so the sale is pending (never sent), not in doubt.
    // (Port 9 would not do: fetch refuses it as a "bad port" after the fact, which reads as in doubt.)
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const refusedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    // The bridge's clock is the test's: the sale is two hours old the moment the test says so.
    let clock = Date.parse("2026-12-06T10:00:00Z");
    bridge = await startBridge(
      bridgeConfig(dir.path, `http://127.0.0.1:${refusedPort}`, {
        tillTimeoutMs: 200,
        backlogWarningMs: 3_600_000,
        backlogCheckIntervalMs: 100,
      }),
      undefined,
      { now: () => clock },
    );
    expect((await postSale(bridge.url, kbSale("OLD-1"))).body.Code).toBe("150");
    expect(bridge.logger.lines.some((line) => line.message.includes("24 hours"))).toBe(false);
    clock += 2 * 3_600_000;
    await waitUntil(
      bridge.logger.emitter,
      "line",
      () => bridge.logger.lines.some((line) => line.level === "warn" && line.message.includes("24 hours")),
      "the backlog warning",
    );
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(metrics).toMatch(/raseed_pos_bridge_backlog_sales 1/);
    expect(metrics).toMatch(/raseed_pos_bridge_in_doubt_sales 0/);
    expect(metrics).toMatch(/raseed_pos_bridge_backlog_over_threshold 1/);
    expect(metrics).toMatch(/raseed_pos_bridge_replies_total\{code="150"\} 1/);
    const age = Number(/^raseed_pos_bridge_backlog_oldest_age_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(age).toBe(7200);
  });

  it("serves several tills: by the POSID field on the shared port and by each till's own port", async () => {
    await bridge.close();
    bridge = await startBridge(
      bridgeConfig(dir.path, sim.url, {
        tills: [
          { posId: SAMPLE_POS_ID, token: SAMPLE_TOKEN, port: 0 },
          { posId: 110099, token: "other-till-token" },
        ],
      }),
    );
    const ownPort = bridge.tillUrls.get(SAMPLE_POS_ID) as string;
    const { POSID: _omit, ...withoutPosId } = kbSale("PORT-1");
    expect((await postSale(ownPort, withoutPosId)).body.Code).toBe("100");
    const wrongTill = await postSale(ownPort, kbSale("PORT-2", { POSID: 110099 }));
    expect(wrongTill.body.Code).toBe("102");
    expect((wrongTill.body.Errors as { Field: string }[])[0]?.Field).toBe("POSID");
    const unknown = await postSale(bridge.url, kbSale("PORT-3", { POSID: 123 }));
    expect(unknown.body.Code).toBe("102");
    // Shared port, by field: the till's own token is used.
    expect((await postSale(bridge.url, kbSale("PORT-4"))).body.Code).toBe("100");
    expect((await simImsInvoices(sim.url)).map((invoice) => invoice.USIN).sort()).toEqual([
      "PORT-1",
      "PORT-4",
    ]);
  });
});
