import { once } from "node:events";
import http from "node:http";
import { diResponseSchema, imsResponseSchema, parseWire, wso2FaultSchema } from "@raseed/sdk";
import { afterEach, describe, expect, it } from "vitest";
import documentation from "../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import type { RunningSimulator, SimulatorOptions } from "../src/index.ts";
import { scenarioPayloadForSeller, startSimulator } from "../src/index.ts";
import { DEMO_SELLER, IMS_AUTH, listInvoices, PRODUCTION_AUTH, postJson, SANDBOX_AUTH } from "./helpers.ts";

const running: RunningSimulator[] = [];
async function start(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ port: 0, ...options });
  running.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

const sn001 = () => scenarioPayloadForSeller("SN001", DEMO_SELLER);

/** Sends a body of `size` bytes with a JSON content type; resolves the status, or "closed". */
function sendLargeBody(url: string, size: number): Promise<number | "closed"> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: "POST",
        headers: { ...SANDBOX_AUTH, "content-type": "application/json", "content-length": String(size) },
        agent: false,
      },
      (res) => {
        // The simulator answers from the content-length alone, before reading the body: take the
        // status as soon as it arrives and stop sending, so the socket closing after the answer
        // cannot race it.
        answered = true;
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    let answered = false;
    req.on("error", () => resolve("closed"));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size && !answered) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

describe("bad requests never crash the simulator", () => {
  it("answers a 10 MB body with 413 and keeps serving", async () => {
    const sim = await start();
    const outcome = await sendLargeBody(`${sim.url}/di_data/v1/di/postinvoicedata_sb`, 10 * 1024 * 1024);
    expect(outcome).toBe(413);
    const after = await postJson(`${sim.url}/di_data/v1/di/postinvoicedata_sb`, sn001(), SANDBOX_AUTH);
    expect(after.status).toBe(200);
  });

  it("survives a burst of malformed, mistyped and wrong-verb requests", async () => {
    const sim = await start();
    const url = `${sim.url}/di_data/v1/di/postinvoicedata_sb`;
    const junk = [
      fetch(url, {
        method: "POST",
        headers: { ...SANDBOX_AUTH, "content-type": "application/json" },
        body: "{",
      }),
      fetch(url, {
        method: "POST",
        headers: { ...SANDBOX_AUTH, "content-type": "application/json" },
        body: "null",
      }),
      fetch(url, { method: "POST", headers: { ...SANDBOX_AUTH, "content-type": "text/csv" }, body: "a,b" }),
      fetch(url, { method: "DELETE", headers: SANDBOX_AUTH }),
      fetch(url, {
        method: "POST",
        headers: { ...SANDBOX_AUTH, "content-type": "application/json" },
        body: '"text"',
      }),
      fetch(url, {
        method: "POST",
        headers: { ...SANDBOX_AUTH, "content-type": "application/json" },
        body: "{}",
      }),
      fetch(url, {
        method: "POST",
        headers: { ...SANDBOX_AUTH, "content-type": "application/json" },
        body: JSON.stringify({ ...sn001(), items: "not-a-list" }),
      }),
      fetch(`${sim.url}/FBR/v1/api/Live/PostData`, {
        method: "POST",
        headers: { ...IMS_AUTH, "content-type": "application/json" },
        body: JSON.stringify({ POSID: 110014, Items: [{}] }),
      }),
    ];
    const statuses = (await Promise.all(junk)).map((response) => response.status);
    for (const status of statuses) expect(status).toBeLessThan(500);
    expect(statuses.slice(0, 5)).toEqual([400, 400, 415, 405, 400]);
    expect((await postJson(url, sn001(), SANDBOX_AUTH)).status).toBe(200);
  });
});

describe("inspection", () => {
  it("is absent with inspect: false (WSO2's no-matching-resource answer)", async () => {
    const sim = await start({ inspect: false });
    const response = await fetch(`${sim.url}/__sim/invoices`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      fault: { description: "No matching resource found for given API Request" },
    });
  });

  it("counts identical payloads across channels separately and reset() forgets them", async () => {
    const sim = await start();
    await postJson(`${sim.url}/di_data/v1/di/postinvoicedata_sb`, sn001(), SANDBOX_AUTH);
    const other = { ...sn001(), invoiceRefNo: "INV-2" };
    await postJson(`${sim.url}/di_data/v1/di/postinvoicedata_sb`, other, SANDBOX_AUTH);
    await postJson(`${sim.url}/di_data/v1/di/postinvoicedata_sb`, other, SANDBOX_AUTH);
    const invoices = await listInvoices(sim.url);
    expect(invoices.map((invoice) => invoice.postCount)).toEqual([1, 2, 2]);
    expect(new Set(invoices.map((invoice) => invoice.invoiceNumber)).size).toBe(3);
    sim.reset();
    expect(await listInvoices(sim.url)).toEqual([]);
  });

  it("rejects a bad fault config at run time, naming the key", async () => {
    const sim = await start();
    const response = await fetch(`${sim.url}/__sim/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ global: { kind: "http500", sometimes: true } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ simulatorError: 'fault config global: unknown key "sometimes"' });
  });
});

describe("faults over real HTTP", () => {
  it("a hanging request does not stop close()", async () => {
    const sim = await startSimulator({ port: 0, faults: { global: { kind: "hang" } } });
    const hung = once(sim.events, "hang");
    const pending = fetch(`${sim.url}/pdi/v1/provinces`, { headers: PRODUCTION_AUTH }).catch(
      (error: unknown) => error,
    );
    // The simulator says the request is held (an event, not a clock).
    expect(await hung).toEqual(["/pdi/v1/provinces"]);
    // close() resolving at all is the proof: one that waited for the hanging request would never return
    // (the test's own timeout). Closing ends the held request for its client too, with no answer.
    await sim.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it("accepts FBR's own documented IMS sample (dashed BuyerCNIC), and its ISO DateTime form, on PostData", async () => {
    const sim = await start();
    const url = `${sim.url}/FBR/v1/api/Live/PostData`;
    for (const [usin, DateTime] of [
      ["KB-1", documentation.kbModel.DateTime],
      ["KB-ISO", "2021-05-10T12:30:45.1234567+05:00"],
    ]) {
      const response = await postJson(url, { ...documentation.kbModel, USIN: usin, DateTime }, IMS_AUTH);
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ Code: "100", Errors: null });
    }
    // A CNIC that is not 13 digits with or without its dashes is still refused, as the bridge refuses it.
    const bad = await postJson(
      url,
      { ...documentation.kbModel, USIN: "KB-2", BuyerCNIC: "1234-5" },
      IMS_AUTH,
    );
    expect(bad.json).toMatchObject({
      Code: "102",
      Errors: [expect.objectContaining({ Field: "BuyerCNIC" })],
    });
  });

  it("commit-then-drop on IMS saves the invoice and sends nothing", async () => {
    const sim = await start({
      faults: { paths: { "/imsp/v1/api/Live/PostData": { kind: "commit-then-drop" } } },
    });
    const invoice = {
      InvoiceNumber: "",
      POSID: 110014,
      USIN: "U-1",
      DateTime: "2025-05-13 12:00:00",
      TotalSaleValue: 100,
      TotalTaxCharged: 18,
      TotalQuantity: 1,
      Discount: 0,
      FurtherTax: 0,
      TotalBillAmount: 118,
      PaymentMode: 1,
      InvoiceType: 1,
      Items: [
        {
          ItemCode: "A1",
          ItemName: "Tea",
          PCTCode: "09024000",
          Quantity: 1,
          TaxRate: 18,
          SaleValue: 100,
          Discount: 0,
          FurtherTax: 0,
          TaxCharged: 18,
          TotalAmount: 118,
          InvoiceType: 1,
        },
      ],
    };
    const result = await postJson(`${sim.url}/imsp/v1/api/Live/PostData`, invoice, IMS_AUTH).catch(
      () => "dropped",
    );
    expect(result).toBe("dropped");
    const invoices = await listInvoices(sim.url);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ channel: "ims", answerDropped: true, USIN: "U-1", postCount: 1 });
  });

  it("a seeded failure rate fails the same requests on every run", async () => {
    const run = async () => {
      const sim = await start({ faults: { failRate: 0.4, seed: 99, failKinds: ["http503", "http429"] } });
      const statuses: number[] = [];
      for (let index = 0; index < 20; index += 1) {
        statuses.push((await fetch(`${sim.url}/pdi/v1/uom`, { headers: PRODUCTION_AUTH })).status);
      }
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.filter((status) => status !== 200).length).toBeGreaterThan(2);
    expect(first.every((status) => [200, 503, 429].includes(status))).toBe(true);
  });
});

describe("world from config", () => {
  it("adds sellers, buyers and POS terminals; the demo world can be left out", async () => {
    const sim = await start({
      config: {
        includeDemoWorld: false,
        sellers: [
          {
            ntn: "1234567",
            businessName: "Lahore Mills",
            province: "Punjab",
            productionToken: "prod-token-1234567",
          },
        ],
        registeredBuyers: ["7654321"],
        posTerminals: [{ posId: "220022", token: "pos-token-220022", environments: ["production"] }],
      },
    });
    const invoice = { ...sn001(), sellerNTNCNIC: "1234567", buyerNTNCNIC: "7654321" };
    delete (invoice as { scenarioId?: string }).scenarioId;
    const accepted = await postJson(`${sim.url}/di_data/v1/di/postinvoicedata`, invoice, {
      authorization: "Bearer prod-token-1234567",
    });
    expect(accepted.json).toMatchObject({ invoiceNumber: expect.stringMatching(/^1234567DI\d{13}$/) });
    const demo = await postJson(`${sim.url}/di_data/v1/di/postinvoicedata_sb`, sn001(), SANDBOX_AUTH);
    expect(demo.status).toBe(401);
    expect(demo.json).toMatchObject({ fault: { code: 900901 } });
    const regType = await postJson(
      `${sim.url}/dist/v1/Get_Reg_Type`,
      { Registration_No: "7654321" },
      {
        authorization: "Bearer prod-token-1234567",
      },
    );
    expect(regType.json).toMatchObject({ statuscode: "00", REGISTRATION_TYPE: "Registered" });
    const imsOnSandbox = await postJson(
      `${sim.url}/FBR/v1/api/Live/PostData`,
      { POSID: 220022 },
      {
        authorization: "Bearer pos-token-220022",
      },
    );
    expect(imsOnSandbox.status).toBe(401);
  });

  it("refuses one token given to two owners", async () => {
    await expect(
      startSimulator({
        port: 0,
        config: { posTerminals: [{ posId: "1", token: "sandbox-demo-token" }] },
      }),
    ).rejects.toThrow(
      /posTerminals\[0\]\.token: this token is already given to the demo seller's sandbox token/,
    );
  });
});

describe("reference APIs", () => {
  it("serves transaction types verbatim, FBR's space padding included", async () => {
    const sim = await start();
    const rows = (await (
      await fetch(`${sim.url}/pdi/v1/transtypecode`, { headers: SANDBOX_AUTH })
    ).json()) as {
      transactioN_TYPE_ID: number;
      transactioN_DESC: string;
    }[];
    expect(rows).toHaveLength(26);
    expect(rows.find((row) => row.transactioN_TYPE_ID === 23)?.transactioN_DESC).toBe(" 3rd Schedule Goods ");
    expect(rows.find((row) => row.transactioN_TYPE_ID === 18)?.transactioN_DESC).toBe(" Services ");
  });

  it("chains SaleTypeToRate → SroSchedule → SROItem for the reduced-rate sample (EIGHTH SCHEDULE Table 1 / 82)", async () => {
    const sim = await start();
    const get = async (path: string) =>
      (await fetch(`${sim.url}${path}`, { headers: PRODUCTION_AUTH })).json();
    const rates = (await get(
      "/pdi/v2/SaleTypeToRate?date=04-Feb-2024&transTypeId=24&originationSupplier=8",
    )) as {
      ratE_ID: number;
      ratE_DESC: string;
    }[];
    const onePercent = rates.find((rate) => rate.ratE_DESC === "1%");
    expect(onePercent).toBeDefined();
    const schedules = (await get(
      `/pdi/v1/SroSchedule?rate_id=${onePercent?.ratE_ID}&date=04-Feb-2024&origination_supplier_csv=8`,
    )) as {
      srO_ID: number;
      srO_DESC: string;
    }[];
    const eighth = schedules.find((row) => row.srO_DESC === "EIGHTH SCHEDULE Table 1");
    expect(eighth).toBeDefined();
    const items = (await get(`/pdi/v2/SROItem?date=2025-03-25&sro_id=${eighth?.srO_ID}`)) as {
      srO_ITEM_DESC: string;
    }[];
    expect(items.map((item) => item.srO_ITEM_DESC)).toContain("82");
    expect(await get(`/pdi/v2/SROItem?date=25-Mar-2025&sro_id=${eighth?.srO_ID}`)).toEqual([]);
  });
});

describe("answers parse with the sdk's wire schemas", () => {
  it("DI success, rejections and validate; WSO2 faults; IMS success and 102", async () => {
    const sim = await start();
    const di = (path: string, body: unknown, headers = SANDBOX_AUTH) =>
      postJson(`${sim.url}${path}`, body, headers);
    const base = sn001();
    const item = (base.items as Record<string, unknown>[])[0] ?? {};
    const diBodies = [
      (await di("/di_data/v1/di/postinvoicedata_sb", base)).json,
      (await di("/di_data/v1/di/postinvoicedata_sb", { ...base, invoiceType: "Credit Note" })).json,
      (await di("/di_data/v1/di/postinvoicedata_sb", { ...base, items: [item, { ...item, rate: "17%" }] }))
        .json,
      (await di("/di_data/v1/di/validateinvoicedata_sb", base)).json,
      (await di("/di_data/v1/di/validateinvoicedata_sb", { ...base, items: [{ ...item, rate: "17%" }] }))
        .json,
    ];
    for (const body of diBodies) expect(parseWire(diResponseSchema, body)).toMatchObject({ ok: true });
    const fault = (
      await di("/di_data/v1/di/postinvoicedata_sb", base, { authorization: "Bearer wrong-token" })
    ).json;
    expect(parseWire(wso2FaultSchema, fault)).toMatchObject({ ok: true });
    const ims = (await postJson(`${sim.url}/FBR/v1/api/Live/PostData`, { POSID: 110014 }, IMS_AUTH)).json;
    expect(parseWire(imsResponseSchema, ims)).toMatchObject({ ok: true, value: { Code: "102" } });
  });
});

describe("numbering under load", () => {
  it("gives 100 concurrent posts 100 distinct FBR numbers in FBR's shape", async () => {
    const sim = await start();
    const posts = Array.from({ length: 100 }, (_, index) =>
      postJson(
        `${sim.url}/di_data/v1/di/postinvoicedata_sb`,
        { ...sn001(), invoiceRefNo: `INV-${index}` },
        SANDBOX_AUTH,
      ),
    );
    const numbers = (await Promise.all(posts)).map(
      (result) => (result.json as { invoiceNumber: string }).invoiceNumber,
    );
    expect(new Set(numbers).size).toBe(100);
    for (const number of numbers) expect(number).toMatch(/^7000007DI\d{13}$/);
    const invoices = await listInvoices(sim.url);
    expect(invoices.every((invoice) => invoice.postCount === 1)).toBe(true);
  });
});
