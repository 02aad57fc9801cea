// The first end-to-end test of ARCHITECTURE.md's outcome-classification table: the sdk's real clients,
// over real HTTP on loopback, against each way the simulated FBR can answer (or not answer).
import { DiClient, ImsClient } from "@raseed/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FaultRule, RunningSimulator } from "../src/index.ts";
import { DEMO_WORLD, scenarioPayloadForSeller, startSimulator } from "../src/index.ts";
import { DEMO_SELLER, listInvoices } from "./helpers.ts";

const POST_SB = "/di_data/v1/di/postinvoicedata_sb";
const IMS_SANDBOX = "/FBR/v1/api/Live/PostData";

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

type Invoice = Parameters<DiClient["postInvoice"]>[0];
type ImsInvoice = Parameters<ImsClient["postData"]>[0];

const invoice = (changes: Record<string, unknown> = {}) =>
  ({ ...scenarioPayloadForSeller("SN001", DEMO_SELLER), ...changes }) as unknown as Invoice;

function diClient(options: { token?: string; timeoutMs?: number; baseUrl?: string } = {}) {
  return new DiClient({
    token: options.token ?? DEMO_WORLD.seller.sandboxToken,
    environment: "sandbox",
    baseUrl: options.baseUrl ?? sim.url,
    timeoutMs: options.timeoutMs ?? 5000,
    maxRetries: 0,
  });
}

function failNext(path: string, rule: FaultRule) {
  sim.setFaults({ paths: { [path]: { ...rule, times: 1 } } });
}

describe("DiClient against the simulator", () => {
  it("accepted: a valid invoice", async () => {
    const outcome = await diClient().postInvoice(invoice());
    expect(outcome.kind).toBe("accepted");
    if (outcome.kind !== "accepted") return;
    expect(outcome.invoiceNumber).toMatch(/^7000007DI\d{13}$/);
    expect(outcome.itemNumbers).toEqual([`${outcome.invoiceNumber}-1`]);
    expect(outcome.exchange.requestBody).not.toContain(DEMO_WORLD.seller.sandboxToken);
  });

  it("accepted: after added latency within the timeout", async () => {
    failNext(POST_SB, { kind: "latency", latencyMs: 150 });
    expect((await diClient().postInvoice(invoice())).kind).toBe("accepted");
  });

  it("rejected: header-level (0003)", async () => {
    const outcome = await diClient().postInvoice(invoice({ invoiceType: "Credit Note" }));
    expect(outcome).toMatchObject({ kind: "rejected", errors: [{ code: "0003", level: "header" }] });
  });

  it("rejected: item-level under a 00 header (0046 on item 2)", async () => {
    const base = invoice() as unknown as { items: Record<string, unknown>[] };
    const first = base.items[0] ?? {};
    const outcome = await diClient().postInvoice(invoice({ items: [first, { ...first, rate: "17%" }] }));
    expect(outcome.kind).toBe("rejected");
    if (outcome.kind !== "rejected") return;
    expect(outcome.errors).toEqual([expect.objectContaining({ code: "0046", level: "item", item: 2 })]);
  });

  it("rejected: a sandbox rule (0205)", async () => {
    const outcome = await diClient().postInvoice(invoice({ buyerNTNCNIC: "1000000000000" }));
    expect(outcome).toMatchObject({ kind: "rejected", errors: [{ code: "0205" }] });
  });

  it.each([
    ["http429", 429],
    ["http503", 503],
  ] as const)("throttled: %s with Retry-After", async (kind, status) => {
    failNext(POST_SB, { kind, retryAfterSeconds: 2 });
    const outcome = await diClient().postInvoice(invoice());
    expect(outcome).toMatchObject({ kind: "throttled", retryAfterMs: 2000, exchange: { status } });
  });

  it.each([
    ["unauthorized401", 900901],
    ["forbidden403", 900908],
  ] as const)("unauthorised: %s", async (kind, faultCode) => {
    failNext(POST_SB, { kind });
    expect(await diClient().postInvoice(invoice())).toMatchObject({ kind: "unauthorised", faultCode });
  });

  it("unauthorised: unknown token (900901) and a production token on _sb", async () => {
    expect(await diClient({ token: "no-such-token" }).postInvoice(invoice())).toMatchObject({
      kind: "unauthorised",
      faultCode: 900901,
    });
    expect(await diClient({ token: DEMO_WORLD.seller.productionToken }).postInvoice(invoice())).toMatchObject(
      {
        kind: "unauthorised",
      },
    );
  });

  it("unauthorised: seller is not the token's owner (0401 with HTTP 401)", async () => {
    const outcome = await diClient().postInvoice(invoice({ sellerNTNCNIC: "8885801" }));
    expect(outcome.kind).toBe("unauthorised");
  });

  it("not_sent: nothing listens on the port", async () => {
    const closed = await startSimulator({ port: 0 });
    const url = closed.url;
    await closed.close();
    expect((await diClient({ baseUrl: url }).postInvoice(invoice())).kind).toBe("not_sent");
  });

  it.each([
    ["http500", { kind: "http500" }],
    ["html-gateway 502", { kind: "html-gateway" }],
    ["html-gateway 200", { kind: "html-gateway", status: 200 }],
    ["reset-before", { kind: "reset-before" }],
  ] as const)("in_doubt: %s", async (_name, rule) => {
    failNext(POST_SB, rule);
    expect((await diClient().postInvoice(invoice())).kind).toBe("in_doubt");
  });

  it("in_doubt: a hang past the client's timeout", async () => {
    failNext(POST_SB, { kind: "hang" });
    expect((await diClient({ timeoutMs: 300 }).postInvoice(invoice())).kind).toBe("in_doubt");
  });

  it("in_doubt: commit-then-drop, and FBR did save the invoice exactly once", async () => {
    failNext(POST_SB, { kind: "commit-then-drop" });
    expect((await diClient().postInvoice(invoice())).kind).toBe("in_doubt");
    const saved = await listInvoices(sim.url);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ answerDropped: true, postCount: 1 });
  });
});

const imsInvoice = (changes: Record<string, unknown> = {}) =>
  ({
    InvoiceNumber: "",
    POSID: 110014,
    USIN: "USIN-E2E-1",
    DateTime: "2025-05-13 12:00:00",
    BuyerName: "Walk-in",
    TotalSaleValue: 1000,
    TotalTaxCharged: 180,
    TotalQuantity: 1,
    Discount: 0,
    FurtherTax: 0,
    TotalBillAmount: 1180,
    PaymentMode: 1,
    InvoiceType: 1,
    Items: [
      {
        ItemCode: "TEA-1",
        ItemName: "Tea",
        PCTCode: "09024000",
        Quantity: 1,
        TaxRate: 18,
        SaleValue: 1000,
        Discount: 0,
        FurtherTax: 0,
        TaxCharged: 180,
        TotalAmount: 1180,
        InvoiceType: 1,
      },
    ],
    ...changes,
  }) as unknown as ImsInvoice;

function imsClient(token: string = DEMO_WORLD.posTerminal.token) {
  return new ImsClient({ token, environment: "sandbox", baseUrl: sim.url, timeoutMs: 2000, maxRetries: 0 });
}

describe("ImsClient against the simulator", () => {
  it("accepted: Code 100 with a fiscal number", async () => {
    const outcome = await imsClient().postData(imsInvoice());
    expect(outcome).toMatchObject({
      kind: "accepted",
      invoiceNumber: expect.stringMatching(/^110014\d{14}$/),
    });
  });

  it("rejected: Code 102 with InvoiceNumber 'Not Available'", async () => {
    expect((await imsClient().postData(imsInvoice({ POSID: 999999 }))).kind).toBe("rejected");
  });

  it("unauthorised: an unknown token", async () => {
    expect(await imsClient("00000000-0000-0000-0000-000000000000").postData(imsInvoice())).toMatchObject({
      kind: "unauthorised",
      faultCode: 900901,
    });
  });

  it("in_doubt: commit-then-drop on IMS", async () => {
    failNext(IMS_SANDBOX, { kind: "commit-then-drop" });
    expect((await imsClient().postData(imsInvoice())).kind).toBe("in_doubt");
    expect(await listInvoices(sim.url)).toHaveLength(1);
  });
});
