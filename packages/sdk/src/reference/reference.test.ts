import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  debitNoteReasons,
  docTypeRows,
  findTransactionType,
  formatFbrDayMonthYear,
  formatFbrIsoDate,
  provinceRows,
  ReferenceApiError,
  ReferenceClient,
  type ReferenceClientOptions,
  ratesForTransactionType,
  sroItemSerials,
  sroScheduleNames,
  transactionTypes,
  uomRows,
} from "./index.ts";

const TOKEN = "secret-token-1234567890";

const SNAPSHOT_FILES = [
  "di-doc-types.json",
  "di-provinces.json",
  "di-sale-type-rates.json",
  "di-scenario-certification.json",
  "di-scenario-matrix.json",
  "di-scenarios.json",
  "di-transaction-types.json",
  "di-uom.json",
  "fbr-annex-template-reference-lists.json",
];

describe("packages/sdk/data", () => {
  it.each(SNAPSHOT_FILES)("%s is byte-identical to spec/data", (name) => {
    const copy = readFileSync(new URL(`../../data/${name}`, import.meta.url));
    const original = readFileSync(new URL(`../../../../spec/data/${name}`, import.meta.url));
    expect(copy.equals(original)).toBe(true);
  });
});

describe("snapshot accessors", () => {
  it("keeps the registry strings verbatim, padding included", () => {
    const rows = transactionTypes();
    expect(rows).toHaveLength(26);
    expect(rows.map((row) => row.transactioN_DESC)).toContain(" Services ");
    expect(rows.find((row) => row.transactioN_TYPE_ID === 23)).toEqual({
      transactioN_TYPE_ID: 23,
      transactioN_DESC: " 3rd Schedule Goods ",
    });
    expect(Object.keys(rows[0] ?? {})).toEqual(["transactioN_TYPE_ID", "transactioN_DESC"]);
  });

  it("finds a transaction type after trimming, ignoring case, and returns the registry row", () => {
    expect(findTransactionType("services")?.transactioN_DESC).toBe(" Services ");
    expect(findTransactionType("  3RD SCHEDULE GOODS")?.transactioN_TYPE_ID).toBe(23);
    expect(findTransactionType("Goods as per SRO.297(|)/2023")?.transactioN_TYPE_ID).toBe(139);
    expect(findTransactionType("Services (FED in ST Mode)")?.transactioN_TYPE_ID).toBe(22);
    // The v1.12 §9 spelling is not the registry string (integrators got 0204 sending it).
    expect(findTransactionType("Processing/ Conversion of Goods")).toBeUndefined();
    expect(findTransactionType("")).toBeUndefined();
  });

  it("gives the captured rates per transaction type", () => {
    expect(ratesForTransactionType(75)).toEqual([{ ratE_ID: 728, ratE_DESC: "18%", ratE_VALUE: 18 }]);
    expect(ratesForTransactionType(18).map((rate) => rate.ratE_DESC)).not.toContain("18%");
    expect(ratesForTransactionType(115)[0]?.ratE_DESC).toBe("18% along with rupees 60 per kilogram");
    expect(ratesForTransactionType(178)).toEqual([]);
    expect(ratesForTransactionType(99999)).toEqual([]);
  });

  it("exposes the other tables", () => {
    expect(uomRows()).toHaveLength(44);
    expect(uomRows().find((row) => row.uoM_ID === 13)?.description).toBe("KG");
    expect(provinceRows().map((row) => row.stateProvinceCode)).toEqual([2, 4, 5, 6, 7, 8, 9]);
    expect(docTypeRows()).toEqual([
      { docTypeId: 4, docDescription: "Sale Invoice" },
      { docTypeId: 9, docDescription: "Debit Note" },
    ]);
    expect(debitNoteReasons()).toContain("Others");
    expect(sroScheduleNames()).toHaveLength(95);
    expect(sroScheduleNames()).toContain("EIGHTH SCHEDULE Table 1");
    expect(sroItemSerials()).toHaveLength(722);
    expect(sroItemSerials()).toContain("1(ii)(ii)(a)");
  });

  it("cannot be changed by a caller", () => {
    expect(Object.isFrozen(transactionTypes())).toBe(true);
    expect(Object.isFrozen(transactionTypes()[0])).toBe(true);
    expect(Object.isFrozen(sroItemSerials())).toBe(true);
  });
});

describe("FBR date formats", () => {
  it("formats dd-MMM-yyyy and yyyy-MM-dd on the Pakistan calendar day", () => {
    expect(formatFbrDayMonthYear(new Date("2024-02-04T10:00:00Z"))).toBe("04-Feb-2024");
    expect(formatFbrIsoDate(new Date("2025-03-25T10:00:00Z"))).toBe("2025-03-25");
    // 20:00 UTC on 31 Dec is 01:00 on 1 Jan in Karachi (UTC+5).
    expect(formatFbrDayMonthYear(new Date("2024-12-31T20:00:00Z"))).toBe("01-Jan-2025");
    expect(formatFbrIsoDate(new Date("2024-12-31T18:59:59Z"))).toBe("2024-12-31");
  });
});

interface RecordedCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Reply = { status?: number; body: string } | Error;

function fakeFetch(reply: (call: RecordedCall) => Reply) {
  const calls: RecordedCall[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const call: RecordedCall = {
      url: String(input),
      method: init?.method ?? "GET",
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === "string" ? init.body : undefined,
    };
    calls.push(call);
    const answer = reply(call);
    if (answer instanceof Error) throw answer;
    return new Response(answer.body, { status: answer.status ?? 200 });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

function client(fetchImpl: typeof fetch, extra: Partial<ReferenceClientOptions> = {}) {
  return new ReferenceClient({ token: TOKEN, baseUrl: "http://127.0.0.1:9/", fetch: fetchImpl, ...extra });
}

const JSON_OK = (body: unknown): Reply => ({ body: JSON.stringify(body) });

describe("ReferenceClient requests", () => {
  const DATE = new Date("2024-02-24T06:00:00Z");

  it.each([
    ["provinces", (c: ReferenceClient) => c.provinces(), "/pdi/v1/provinces"],
    ["doctypecode", (c: ReferenceClient) => c.docTypeCodes(), "/pdi/v1/doctypecode"],
    ["itemdesccode", (c: ReferenceClient) => c.itemDescCodes(), "/pdi/v1/itemdesccode"],
    ["sroitemcode", (c: ReferenceClient) => c.sroItemCodes(), "/pdi/v1/sroitemcode"],
    ["transtypecode", (c: ReferenceClient) => c.transactionTypeCodes(), "/pdi/v1/transtypecode"],
    ["uom", (c: ReferenceClient) => c.uoms(), "/pdi/v1/uom"],
    [
      "SroSchedule (v1, dd-MMM-yyyy)",
      (c: ReferenceClient) => c.sroSchedules({ rateId: 413, date: DATE, originationSupplier: 8 }),
      "/pdi/v1/SroSchedule?rate_id=413&date=24-Feb-2024&origination_supplier_csv=8",
    ],
    [
      "SaleTypeToRate (v2, dd-MMM-yyyy)",
      (c: ReferenceClient) => c.saleTypeRates({ transTypeId: 18, date: DATE, originationSupplier: 1 }),
      "/pdi/v2/SaleTypeToRate?date=24-Feb-2024&transTypeId=18&originationSupplier=1",
    ],
    [
      "HS_UOM (v2, annexure 3 by default)",
      (c: ReferenceClient) => c.hsUoms({ hsCode: "5904.9000" }),
      "/pdi/v2/HS_UOM?hs_code=5904.9000&annexure_id=3",
    ],
    [
      "SROItem (v2, yyyy-MM-dd)",
      (c: ReferenceClient) => c.sroItems({ sroId: 389, date: new Date("2025-03-25T06:00:00Z") }),
      "/pdi/v2/SROItem?date=2025-03-25&sro_id=389",
    ],
  ])("GET %s", async (_name, call, pathAndQuery) => {
    const { calls, fetchImpl } = fakeFetch(() => JSON_OK([]));
    await expect(call(client(fetchImpl))).resolves.toEqual([]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual({
      url: `http://127.0.0.1:9${pathAndQuery}`,
      method: "GET",
      headers: { Accept: "application/json", Authorization: `Bearer ${TOKEN}` },
      body: undefined,
    });
  });

  it("POSTs statl with {regno, date} and reads the 'status code' key", async () => {
    const { calls, fetchImpl } = fakeFetch(() => JSON_OK({ "status code": "01", status: "In-Active" }));
    const answer = await client(fetchImpl).registrationStatus({
      registrationNo: "0788762",
      date: new Date("2025-05-18T06:00:00Z"),
    });
    expect(answer).toEqual({ "status code": "01", status: "In-Active" });
    expect(calls[0]).toEqual({
      url: "http://127.0.0.1:9/dist/v1/statl",
      method: "POST",
      headers: {
        Accept: "application/json",
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/json",
      },
      body: '{"regno":"0788762","date":"2025-05-18"}',
    });
  });

  it("POSTs Get_Reg_Type with {Registration_No}", async () => {
    const { calls, fetchImpl } = fakeFetch(() =>
      JSON_OK({ statuscode: "00", REGISTRATION_NO: "2046004", REGISTRATION_TYPE: "Registered" }),
    );
    const answer = await client(fetchImpl).registrationType("2046004");
    expect(answer.REGISTRATION_TYPE).toBe("Registered");
    expect(calls[0]?.url).toBe("http://127.0.0.1:9/dist/v1/Get_Reg_Type");
    expect(calls[0]?.method).toBe("POST");
    expect(calls[0]?.body).toBe('{"Registration_No":"2046004"}');
  });

  it("parses FBR's casing and lenient values", async () => {
    const { fetchImpl } = fakeFetch(() =>
      JSON_OK([{ ratE_ID: "734", ratE_DESC: "18% along with rupees 60 per kilogram", ratE_VALUE: "18" }]),
    );
    const rates = await client(fetchImpl).saleTypeRates({
      transTypeId: 115,
      date: new Date(),
      originationSupplier: 8,
    });
    expect(rates).toEqual([
      { ratE_ID: 734, ratE_DESC: "18% along with rupees 60 per kilogram", ratE_VALUE: 18 },
    ]);
  });

  it("defaults to the production origin", async () => {
    const { calls, fetchImpl } = fakeFetch(() => JSON_OK([]));
    await new ReferenceClient({ token: TOKEN, fetch: fetchImpl }).uoms();
    expect(calls[0]?.url).toBe("https://gw.fbr.gov.pk/pdi/v1/uom");
  });

  it("rejects an invalid Date without calling FBR", async () => {
    const { calls, fetchImpl } = fakeFetch(() => JSON_OK([]));
    await expect(client(fetchImpl).sroItems({ sroId: 1, date: new Date("nope") })).rejects.toMatchObject({
      code: "reference_bad_request",
      message: "/pdi/v2/SROItem: the date is not a valid Date",
    });
    expect(calls).toHaveLength(0);
  });
});

describe("ReferenceClient cache", () => {
  it("serves a repeat from the cache until the TTL runs out", async () => {
    let now = 1_000_000;
    const { calls, fetchImpl } = fakeFetch(() => JSON_OK([{ uoM_ID: 13, description: "KG" }]));
    const reference = client(fetchImpl, { ttlMs: 60_000, now: () => now });
    await reference.uoms();
    now += 59_999;
    await reference.uoms();
    expect(calls).toHaveLength(1);
    now += 1;
    await reference.uoms();
    expect(calls).toHaveLength(2);
  });

  it("keys the cache by query, so another date is another call", async () => {
    const { calls, fetchImpl } = fakeFetch(() => JSON_OK([]));
    const reference = client(fetchImpl);
    await reference.saleTypeRates({
      transTypeId: 75,
      date: new Date("2025-01-01T06:00:00Z"),
      originationSupplier: 8,
    });
    await reference.saleTypeRates({
      transTypeId: 75,
      date: new Date("2025-01-01T07:00:00Z"),
      originationSupplier: 8,
    });
    await reference.saleTypeRates({
      transTypeId: 75,
      date: new Date("2025-01-02T06:00:00Z"),
      originationSupplier: 8,
    });
    await reference.saleTypeRates({
      transTypeId: 75,
      date: new Date("2025-01-02T06:00:00Z"),
      originationSupplier: 7,
    });
    expect(calls).toHaveLength(3);
  });

  it("shares one call between concurrent callers", async () => {
    const { calls, fetchImpl } = fakeFetch(() => JSON_OK([]));
    const reference = client(fetchImpl);
    await Promise.all([reference.provinces(), reference.provinces(), reference.provinces()]);
    expect(calls).toHaveLength(1);
  });

  it("does not cache failures, and clearCache forgets answers", async () => {
    let fail = true;
    const { calls, fetchImpl } = fakeFetch(() => (fail ? { status: 500, body: "oops" } : JSON_OK([])));
    const reference = client(fetchImpl);
    await expect(reference.hsUoms({ hsCode: "0101.2100" })).rejects.toMatchObject({
      code: "reference_http_error",
    });
    fail = false;
    await reference.hsUoms({ hsCode: "0101.2100" });
    await reference.hsUoms({ hsCode: "0101.2100" });
    expect(calls).toHaveLength(2);
    reference.clearCache();
    await reference.hsUoms({ hsCode: "0101.2100" });
    expect(calls).toHaveLength(3);
  });

  it("ttlMs 0 turns the cache off", async () => {
    const { calls, fetchImpl } = fakeFetch(() => JSON_OK([]));
    const reference = client(fetchImpl, { ttlMs: 0 });
    await reference.uoms();
    await reference.uoms();
    expect(calls).toHaveLength(2);
  });
});

describe("ReferenceClient failures and snapshot fallback", () => {
  it("falls back to the snapshot when FBR is unreachable, and says so", async () => {
    const events: unknown[] = [];
    const { fetchImpl } = fakeFetch(() => new TypeError("fetch failed: ECONNREFUSED"));
    const reference = client(fetchImpl, { onSnapshotFallback: (event) => events.push(event) });
    expect(await reference.transactionTypeCodes()).toBe(transactionTypes());
    expect(await reference.provinces()).toBe(provinceRows());
    expect(await reference.docTypeCodes()).toBe(docTypeRows());
    expect(await reference.uoms()).toBe(uomRows());
    expect(events[0]).toEqual({
      endpoint: "/pdi/v1/transtypecode",
      reason: "/pdi/v1/transtypecode: network error: fetch failed: ECONNREFUSED",
    });
  });

  it("falls back for SaleTypeToRate by transTypeId, but not for an id the capture lacks", async () => {
    const { fetchImpl } = fakeFetch(() => ({ status: 503, body: "busy" }));
    const reference = client(fetchImpl);
    const query = { date: new Date(), originationSupplier: 8 };
    expect(await reference.saleTypeRates({ ...query, transTypeId: 75 })).toEqual(ratesForTransactionType(75));
    await expect(reference.saleTypeRates({ ...query, transTypeId: 4242 })).rejects.toMatchObject({
      code: "reference_http_error",
      status: 503,
    });
  });

  it("falls back on an HTML gateway page and on a body of the wrong shape", async () => {
    const { fetchImpl } = fakeFetch((call) =>
      call.url.endsWith("/uom") ? { body: "<html>502</html>" } : JSON_OK({ not: "a list" }),
    );
    const reference = client(fetchImpl);
    expect(await reference.uoms()).toBe(uomRows());
    expect(await reference.provinces()).toBe(provinceRows());
  });

  it("does not fall back when asked not to", async () => {
    const { fetchImpl } = fakeFetch(() => ({ status: 500, body: "" }));
    await expect(client(fetchImpl, { offlineSnapshot: false }).uoms()).rejects.toBeInstanceOf(
      ReferenceApiError,
    );
  });

  it("never falls back on 401/403: a wrong token must surface", async () => {
    const { fetchImpl } = fakeFetch(() => ({
      status: 401,
      body: JSON.stringify({ fault: { code: 900901, message: "Invalid Credentials", description: "x" } }),
    }));
    await expect(client(fetchImpl).uoms()).rejects.toMatchObject({
      code: "reference_unauthorised",
      status: 401,
    });
  });

  it("fails clearly where there is no snapshot, with the issues of a bad body", async () => {
    const { fetchImpl } = fakeFetch(() => JSON_OK([{ hS_CODE: "0101.2100" }]));
    const failure = await client(fetchImpl)
      .itemDescCodes()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReferenceApiError);
    expect(failure).toMatchObject({
      code: "reference_bad_response",
      endpoint: "/pdi/v1/itemdesccode",
      message:
        "/pdi/v1/itemdesccode: unexpected answer: [0].description: expected a string (a number is accepted), got nothing (the field is missing)",
    });
  });

  it("never puts the token in an error", async () => {
    const replies: Reply[] = [
      new Error("socket hang up"),
      new TypeError(`Headers.append: "Bearer ${TOKEN}\n" is an invalid header value.`),
      { status: 401, body: "" },
      { status: 500, body: "" },
      { body: "{not json" },
    ];
    for (const reply of replies) {
      const { fetchImpl } = fakeFetch(() => reply);
      const failure = await client(fetchImpl, { offlineSnapshot: false })
        .registrationType("2046004")
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ReferenceApiError);
      const everything = JSON.stringify({
        ...(failure as object),
        message: (failure as Error).message,
        stack: (failure as Error).stack,
      });
      expect(everything).not.toContain(TOKEN);
    }
  });
});
