// The sdk's typed client (RaseedGateway) against a real gateway over HTTP on 127.0.0.1: the demo gateway with
// its simulator, tenant 7000007, API key and IMS terminal 110014. Also runs examples/erp-sync.ts.
import {
  type DiInvoice,
  GatewayAuthError,
  GatewayConflictError,
  GatewayConnectionError,
  type GatewayImsInvoice,
  type GatewayInvoice,
  type GatewayInvoiceState,
  GatewayNotFoundError,
  GatewayValidationError,
  RaseedGateway,
  RaseedGatewayError,
} from "@raseed/sdk";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SalesOrder, syncOrders } from "../../../examples/erp-sync.ts";
import { loadConfig } from "../src/config.ts";
import type { ImsInvoiceView } from "../src/invoices/ims-service.ts";
import type { InvoiceView } from "../src/invoices/invoice-service.ts";
import { type RunningGateway, startGateway } from "../src/main.ts";
import type { InvoiceState } from "../src/store/schema.ts";
import { signWebhook } from "../src/webhooks/webhooks.ts";
import { fbrToday, sampleInvoice } from "./harness.ts";
import { tempDir } from "./helpers.ts";
import { imsSale, newUsin } from "./ims-fixtures.ts";

// The client's response types are the gateway's views: each must be assignable to the other (tsc checks this).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statesMatch: Same<GatewayInvoiceState, InvoiceState> = true;
const invoiceViewMatches: Same<Omit<GatewayInvoice, "invoice">, Omit<InvoiceView, "invoice">> = true;
const imsViewMatches: [ImsInvoiceView] extends [GatewayImsInvoice] ? true : false = true;

/** A valid FBR DI payload for the demo seller (the harness builds it loosely typed). */
const fbrPayload = () => sampleInvoice(SELLER) as unknown as DiInvoice;

const SELLER = { ntn: "7000007", name: "Demo Traders", province: "Sindh", address: "Karachi" };

function order(orderNo: string, unitPrice = "250"): SalesOrder {
  return {
    orderNo,
    date: fbrToday(),
    customer: { ntn: "2046004", name: "Buyer Ltd", province: "Sindh", address: "Karachi" },
    lines: [{ hsCode: "0101.2100", description: `Widget ${orderNo}`, quantity: 4, unitPrice }],
  };
}

describe("RaseedGateway (sdk) against a real gateway", () => {
  let gateway: RunningGateway;
  let apiKey: string;
  let client: RaseedGateway;
  const dir = tempDir();

  beforeAll(async () => {
    const config = loadConfig({
      flags: { demo: true, port: 0, dataDir: dir.path, logLevel: "silent" },
      env: {},
    });
    gateway = await startGateway(config, { logger: pino({ level: "silent" }) });
    apiKey = gateway.demo?.apiKey ?? "";
    client = new RaseedGateway({ baseUrl: gateway.url, apiKey });
  });

  afterAll(async () => {
    await gateway.close();
    dir.remove();
  });

  it("shares its types with the gateway's views", () => {
    expect([statesMatch, invoiceViewMatches, imsViewMatches]).toEqual([true, true, true]);
  });

  it("runs the ERP example: every order reported once, FBR's number written back, a re-run sends nothing", async () => {
    const orders = [order(`SO-${newUsin()}`), order(`SO-${newUsin()}`, "300")];
    const first = await syncOrders(client, orders);
    expect(first.map((invoice) => invoice.state)).toEqual(["accepted", "accepted"]);
    for (const sales of orders) expect(sales.fbrInvoiceNumber).toMatch(/^7000007DI/);

    // A crash before the ERP saved the numbers: the same orders again return the same invoices.
    const again = orders.map(({ fbrInvoiceNumber: _saved, ...unsaved }) => unsaved);
    const second = await syncOrders(client, again);
    expect(second.map((invoice) => invoice.id)).toEqual(first.map((invoice) => invoice.id));
    const simulated = (await (await fetch(`${gateway.simulator?.url}/__sim/invoices`)).json()) as {
      invoices: { invoiceNumber: string; postCount: number }[];
    };
    for (const sales of orders) {
      expect(simulated.invoices.filter((i) => i.invoiceNumber === sales.fbrInvoiceNumber)).toHaveLength(1);
    }

    // An order the rules refuse: the problems come back on the order, named with FBR's codes.
    const bad = order(`SO-${newUsin()}`);
    bad.customer.ntn = "12";
    await syncOrders(client, [bad]);
    expect(bad.fbrInvoiceNumber).toBeUndefined();
    expect(bad.problems?.length).toBeGreaterThan(0);
  });

  it("creates from FBR's own payload, retrieves with the payload, and prints the PDF", async () => {
    const created = await client.invoices.create(fbrPayload(), { wait: 10 });
    expect(created.state).toBe("accepted");
    const fetched = await client.invoices.retrieve(created.id);
    expect(fetched.fbrInvoiceNumber).toBe(created.fbrInvoiceNumber);
    expect(fetched.invoice?.sellerNTNCNIC).toBe("7000007");
    const pdf = await client.invoices.pdf(created.id);
    expect(Buffer.from(pdf.subarray(0, 5)).toString("latin1")).toBe("%PDF-");
  });

  it("lists every invoice by async iteration over cursor pages", async () => {
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) expected.push((await client.invoices.create(fbrPayload())).id);
    const seen: string[] = [];
    for await (const invoice of client.invoices.list({ limit: 1 })) seen.push(invoice.id);
    expect(seen).toEqual(expect.arrayContaining(expected));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("throws typed errors carrying the API's code and request id", async () => {
    const invalid = await client.invoices
      .create({ draft: { ...order("x").lines, date: "2026-01-01", buyer: {}, lines: [] } as never })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(GatewayValidationError);
    expect(invalid).toBeInstanceOf(RaseedGatewayError);
    expect((invalid as GatewayValidationError).status).toBe(422);
    expect((invalid as GatewayValidationError).requestId).toEqual(expect.any(String));

    const missing = await client.invoices.retrieve("inv_doesnotexist").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(GatewayNotFoundError);
    expect((missing as GatewayNotFoundError).code).toBe("not_found");

    const stranger = new RaseedGateway({ baseUrl: gateway.url, apiKey: "rsd_not_a_key" });
    const denied = await stranger.invoices.retrieve("inv_x").catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(GatewayAuthError);
    expect((denied as GatewayAuthError).status).toBe(401);

    const key = `K-${newUsin()}`;
    await client.invoices.create(fbrPayload(), { idempotencyKey: key });
    const conflict = await client.invoices
      .create(fbrPayload(), { idempotencyKey: key })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(GatewayConflictError);
    expect((conflict as GatewayConflictError).requestId).toEqual(expect.any(String));

    const accepted = await client.invoices.create(fbrPayload(), { wait: 10 });
    const notRetryable = await client.invoices.retry(accepted.id).catch((e: unknown) => e);
    expect(notRetryable).toBeInstanceOf(GatewayConflictError);
    const notInDoubt = await client.invoices
      .reconcile(accepted.id, { action: "abandon", reason: "test" })
      .catch((e: unknown) => e);
    expect(notInDoubt).toBeInstanceOf(GatewayConflictError);
  });

  it("retries a lost answer only when the request is idempotent", async () => {
    // A transport that delivers the request to the gateway but loses the first answer (connection reset).
    let calls = 0;
    const losing: typeof fetch = async (input, init) => {
      calls += 1;
      const response = await fetch(input, init);
      if (calls === 1) {
        await response.arrayBuffer();
        throw new TypeError("fetch failed: socket hang up");
      }
      return response;
    };
    const noWait = async () => {};
    const flaky = new RaseedGateway({ baseUrl: gateway.url, apiKey, fetch: losing, sleep: noWait });
    const key = `K-${newUsin()}`;
    const invoice = await flaky.invoices.create(fbrPayload(), { idempotencyKey: key });
    expect(calls).toBe(2);
    const stored = [];
    for await (const found of client.invoices.list({ externalRef: key })) stored.push(found.id);
    expect(stored).toEqual([invoice.id]); // sent twice, stored once

    calls = 0;
    const unkeyed = await flaky.invoices.create(fbrPayload()).catch((e: unknown) => e);
    expect(unkeyed).toBeInstanceOf(GatewayConnectionError);
    expect(calls).toBe(1); // no key: a second send could report the sale twice, so the client does not
  });

  it("submits an IMS sale for its fiscal number", async () => {
    const sale = await client.ims.create(imsSale(newUsin()) as never, { wait: 10 });
    expect(sale.channel).toBe("ims");
    expect(sale.state).toBe("accepted");
    expect(sale.fbrInvoiceNumber).toEqual(expect.any(String));
  });

  it("verifies webhook signatures the gateway makes", () => {
    const body = JSON.stringify({ type: "invoice.accepted", data: { id: "inv_1" } });
    const now = 1_800_000_000_000;
    const header = signWebhook("whsec_test", now / 1000, body);
    expect(client.webhooks.verifySignature(body, header, "whsec_test", { now: () => now })).toBe(true);
    expect(client.webhooks.verifySignature(Buffer.from(body), header, "whsec_test", { now: () => now })).toBe(
      true,
    );
    expect(client.webhooks.verifySignature(`${body} `, header, "whsec_test", { now: () => now })).toBe(false);
    expect(client.webhooks.verifySignature(body, header, "whsec_other", { now: () => now })).toBe(false);
    expect(client.webhooks.verifySignature(body, header, "whsec_test", { now: () => now + 301_000 })).toBe(
      false,
    );
    expect(client.webhooks.verifySignature(body, undefined, "whsec_test")).toBe(false);
  });
});
