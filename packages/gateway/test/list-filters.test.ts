// Invoice lists over real HTTP on both engines: from/to filter on the invoice's own date (Pakistan calendar,
// both ends inclusive), createdFrom/createdTo on when Raseed stored it (Pakistan days or instants), IMS sales
// list with the same filters and paging, and a bad parameter gets a message that names it (issue 14).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addImsTerminal } from "../src/tenants/ims-terminals.ts";
import { type Loose, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";
import { DEMO_IMS_TOKEN, DEMO_POS, imsSale, newUsin } from "./ims-fixtures.ts";

/** A YYYY-MM-DD day `offset` days from a fixed past day (every date here is history, never held). */
function day(offset: number): string {
  return new Date(Date.UTC(2026, 10, 20 + offset)).toISOString().slice(0, 10);
}

const refs = (page: Loose): string[] => page.items.map((item: Loose) => item.externalRef);

describe.each(engines)("list filters on %s", (engine) => {
  let t: TestGateway;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestGateway(engine);
    // Four invoices dated the 19th, 20th, 21st and 22nd of November 2026.
    for (const [ref, offset] of [
      ["d-1", -1],
      ["d0", 0],
      ["d1", 1],
      ["d2", 2],
    ] as const) {
      const answer = await t.call("POST", "/v1/invoices", {
        body: { externalRef: ref, invoice: { ...sampleInvoice(), invoiceDate: day(offset) } },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      ids.set(ref, answer.body.id);
    }
    // When Raseed stored them, set around Pakistan's midnight between 5 and 6 December (19:00 UTC):
    // the store's clock is the wall clock, so the test places the rows where it needs them.
    const createdAt: Record<string, string> = {
      "d-1": "2026-12-05T18:59:59.999Z", // 23:59:59.999 PKT on the 5th
      d0: "2026-12-05T19:00:00.000Z", // 00:00 PKT on the 6th
      d1: "2026-12-06T18:59:59.999Z", // the last millisecond of the 6th in Pakistan
      d2: "2026-12-06T19:00:00.000Z", // the 7th in Pakistan
    };
    for (const [ref, at] of Object.entries(createdAt)) {
      await t.gateway.store.db
        .updateTable("invoices")
        .set({ created_at: at })
        .where("id", "=", ids.get(ref) ?? "")
        .execute();
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it("filters on the invoice's own date, both ends inclusive", async () => {
    const range = await t.call("GET", `/v1/invoices?from=${day(0)}&to=${day(1)}`);
    expect(range.status).toBe(200);
    expect(refs(range.body)).toEqual(["d1", "d0"]);
    expect(refs((await t.call("GET", `/v1/invoices?from=${day(1)}&to=${day(1)}`)).body)).toEqual(["d1"]);
    expect(refs((await t.call("GET", `/v1/invoices?to=${day(-1)}`)).body)).toEqual(["d-1"]);
    expect(refs((await t.call("GET", `/v1/invoices?from=${day(2)}`)).body)).toEqual(["d2"]);
  });

  it("filters on when Raseed stored it: Pakistan days, or instants (inclusive)", async () => {
    const sixth = await t.call("GET", "/v1/invoices?createdFrom=2026-12-06&createdTo=2026-12-06");
    expect(refs(sixth.body)).toEqual(["d1", "d0"]);
    const upTo = await t.call(
      "GET",
      `/v1/invoices?createdTo=${encodeURIComponent("2026-12-05T19:00:00.000Z")}`,
    );
    expect(refs(upTo.body)).toEqual(["d0", "d-1"]);
    const offset = await t.call(
      "GET",
      `/v1/invoices?createdFrom=${encodeURIComponent("2026-12-07T00:00:00+05:00")}`,
    );
    expect(refs(offset.body)).toEqual(["d2"]);
    // Both filters at once, with paging.
    const first = await t.call("GET", `/v1/invoices?from=${day(-1)}&createdTo=2026-12-06&limit=2`);
    expect(refs(first.body)).toEqual(["d1", "d0"]);
    const next = await t.call(
      "GET",
      `/v1/invoices?from=${day(-1)}&createdTo=2026-12-06&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(refs(next.body)).toEqual(["d-1"]);
    expect(next.body.nextCursor).toBeNull();
  });

  it("names the field and what is wanted when a parameter is wrong", async () => {
    const cases: [string, string][] = [
      ["limit=abc", "limit must be a whole number from 1 to 500"],
      ["limit=0", "limit must be a whole number from 1 to 500"],
      ["from=06-12-2026", "from must be the invoice's date written YYYY-MM-DD (Pakistan calendar)"],
      ["to=2026-02-30", "to must be the invoice's date written YYYY-MM-DD"],
      [
        "createdFrom=yesterday",
        "createdFrom must be a date (YYYY-MM-DD, a Pakistan day) or an ISO 8601 instant",
      ],
      ["state=done", "state must be one of queued, submitting, accepted"],
      ["colour=red", 'unknown query field "colour"'],
      [`from=${day(2)}&to=${day(0)}`, `from (${day(2)}) is after to (${day(0)})`],
    ];
    for (const [query, message] of cases) {
      const answer = await t.call("GET", `/v1/invoices?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe("bad_request");
      expect(answer.body.error.message, query).toContain(message);
      expect(answer.body.error.message, query).not.toMatch(/Invalid input|NaN|query:/);
    }
    const wait = await t.call("POST", "/v1/invoices?wait=soon", { body: sampleInvoice() });
    expect(wait.status).toBe(400);
    expect(wait.body.error.message).toBe("wait must be a number of seconds from 0 to 30");
  });

  it("lists IMS sales with the same filters and paging; posId and usin find one", async () => {
    await addImsTerminal(t.gateway.store.db, t.masterKey, t.tenantA, {
      posId: DEMO_POS,
      imsToken: DEMO_IMS_TOKEN,
      environment: "sandbox",
    });
    const usins: string[] = [];
    for (const dated of [day(0), day(1), day(2)]) {
      const usin = newUsin();
      usins.push(usin);
      const posted = await t.call("POST", "/v1/ims/invoices", {
        body: imsSale(usin, DEMO_POS, { DateTime: `${dated} 12:00:00` }),
      });
      expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    }
    const usinsOf = (page: Loose): string[] => page.items.map((item: Loose) => item.usin);
    const all = await t.call("GET", "/v1/ims/invoices?limit=2");
    expect(all.status).toBe(200);
    expect(usinsOf(all.body)).toEqual([usins[2], usins[1]]);
    const rest = await t.call("GET", `/v1/ims/invoices?limit=2&cursor=${all.body.nextCursor}`);
    expect(usinsOf(rest.body)).toEqual([usins[0]]);
    expect(rest.body.nextCursor).toBeNull();
    const dated = await t.call("GET", `/v1/ims/invoices?from=${day(1)}&to=${day(2)}`);
    expect(usinsOf(dated.body)).toEqual([usins[2], usins[1]]);
    const one = await t.call("GET", `/v1/ims/invoices?posId=${DEMO_POS}&usin=${usins[0]}`);
    expect(one.body.items).toHaveLength(1);
    expect(one.body.items[0]).toMatchObject({ channel: "ims", posId: DEMO_POS, usin: usins[0] });
    // DI invoices never appear in the IMS list, nor IMS sales in the DI list.
    expect(usinsOf((await t.call("GET", "/v1/ims/invoices?limit=500")).body)).toHaveLength(3);
    expect(refs((await t.call("GET", "/v1/invoices?limit=500")).body)).toHaveLength(4);
    const bad = await t.call("GET", "/v1/ims/invoices?posId=twelve");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("posId must be a whole number from 1 to 2147483647");
  });
});
