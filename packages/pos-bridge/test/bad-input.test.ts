// Bad input never crashes the bridge: malformed JSON, missing fields, 1 MB bodies, wrong methods and paths
// each get a clear IMS-style error, and the bridge keeps serving.
import type { RunningSimulator } from "@raseed/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import documentation from "../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import { bridgeConfig, kbSale, postSale, simImsInvoices, startBridge, startSim, tempDir } from "./helpers.ts";

let sim: RunningSimulator;
let dir: ReturnType<typeof tempDir>;
let bridge: Awaited<ReturnType<typeof startBridge>>;

beforeAll(async () => {
  sim = await startSim();
  dir = tempDir();
  bridge = await startBridge(bridgeConfig(dir.path, sim.url));
});
afterAll(async () => {
  await bridge.close();
  await sim.close();
  dir.remove();
});

const MODEL = "/api/IMSFiscal/GetInvoiceNumberByModel";

async function send(method: string, path: string, body?: string | Buffer, contentType = "application/json") {
  const response = await fetch(`${bridge.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { "content-type": contentType } }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

function expectImsError(body: Record<string, unknown>, code: string): void {
  expect(Object.keys(body).slice(0, 4)).toEqual(["InvoiceNumber", "Code", "Response", "Errors"]);
  expect(body.Code).toBe(code);
  expect(body.InvoiceNumber).toBe("Not Available");
  const errors = body.Errors as { Message: string }[];
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.every((error) => error.Message.length > 0)).toBe(true);
}

describe("bad input", () => {
  it("reports only the bad field when FBR's KB sample (dashed BuyerCNIC) has one, no spurious RIMS13", async () => {
    const body = {
      ...documentation.kbModel,
      USIN: "CNIC-1",
      Items: [{ ...documentation.kbModel.Items[0], TaxRate: "abc" }],
    };
    const reply = await send("POST", MODEL, JSON.stringify(body));
    expectImsError(reply.body, "102");
    const errors = reply.body.Errors as { Field: string }[];
    expect(errors.map((error) => error.Field)).toEqual(["TaxRate"]);
  });

  it.each([
    ["truncated JSON", '{"POSID": 110014, "USIN": "X"'],
    ["not JSON at all", "POSID=110014&USIN=X"],
    ["an empty body", ""],
  ])("answers %s with code 103", async (_name, body) => {
    const reply = await send("POST", MODEL, body);
    expect(reply.status).toBe(400);
    expectImsError(reply.body, "103");
  });

  it.each([
    ["a JSON array", "[]"],
    ["a JSON string", '"invoice"'],
    ["null", "null"],
    ["an empty object", "{}"],
  ])("answers %s with code 102 and what is missing", async (_name, body) => {
    const reply = await send("POST", MODEL, body);
    expect(reply.status).toBe(200);
    expectImsError(reply.body, "102");
  });

  it("survives deeply nested and binary bodies", async () => {
    const deep = `{"Items":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    expectImsError((await send("POST", MODEL, deep)).body, "102");
    expectImsError((await send("POST", MODEL, "[".repeat(50_000))).body, "103");
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 256));
    expectImsError((await send("POST", MODEL, binary, "application/octet-stream")).body, "103");
  });

  it("lists every missing field of a bare object in one reply", async () => {
    const reply = await send("POST", MODEL, JSON.stringify({ POSID: 110014 }));
    const fields = (reply.body.Errors as { Field: string }[]).map((error) => error.Field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "USIN",
        "DateTime",
        "TotalSaleValue",
        "TotalTaxCharged",
        "TotalBillAmount",
        "PaymentMode",
        "InvoiceType",
        "Items",
      ]),
    );
  });

  it("refuses a 1 MB body with code 103 and HTTP 413", async () => {
    const huge = JSON.stringify(kbSale("HUGE-1", { BuyerName: "x".repeat(1024 * 1024) }));
    const reply = await send("POST", MODEL, huge);
    expect(reply.status).toBe(413);
    expectImsError(reply.body, "103");
  });

  it("accepts a body sent as text/plain or with a byte-order mark", async () => {
    const plain = await send("POST", MODEL, JSON.stringify(kbSale("PLAIN-1")), "text/plain");
    expect(plain.body.Code).toBe("100");
    const bom = await send("POST", MODEL, `\uFEFF${JSON.stringify(kbSale("BOM-1"))}`);
    expect(bom.body.Code).toBe("100");
  });

  it.each([
    ["GET", MODEL, 405],
    ["PUT", MODEL, 405],
    ["DELETE", "/api/IMSFiscal/Get", 405],
    ["POST", "/api/IMSFiscal/Get", 405],
    ["GET", "/api/IMSFiscal/Nothing", 404],
    ["POST", "/", 404],
  ])("answers %s %s with code 104 and HTTP %i", async (method, path, status) => {
    const reply = await send(method, path, method === "GET" || method === "DELETE" ? undefined : "{}");
    expect(reply.status).toBe(status);
    expectImsError(reply.body, "104");
    if (status === 405) expect(reply.headers.get("allow")).toMatch(/GET|POST/);
  });

  it("keeps serving after all of that, and uploaded only the valid sales", async () => {
    const reply = await postSale(bridge.url, kbSale("AFTER-1"));
    expect(reply.body.Code).toBe("100");
    expect((await simImsInvoices(sim.url)).map((invoice) => invoice.USIN).sort()).toEqual([
      "AFTER-1",
      "BOM-1",
      "PLAIN-1",
    ]);
  });
});
