// GET /v1/buyers/:ntnOrCnic against the real simulator over HTTP, and the lookup service's day cache
// with an injected clock. The route has no SQL of its own, so SQLite is enough here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuyerLookup } from "../src/buyers/buyer-lookup.ts";
import { FbrConnections } from "../src/tenants/fbr-connections.ts";
import { findTenant } from "../src/tenants/tenants.ts";
import { SELLER_A, startTestGateway, type TestGateway } from "./harness.ts";

describe("buyer check", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway("sqlite");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers a registered buyer from FBR's STATL and Get_Reg_Type", async () => {
    const answer = await t.call("GET", "/v1/buyers/2046004");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      ntnOrCnic: "2046004",
      registrationType: "Registered",
      active: true,
      answers: { regType: { statusCode: "00", registrationType: "Registered" } },
      problems: [],
    });
  });

  it("answers an unregistered CNIC, dashed as printed on the card", async () => {
    const answer = await t.call("GET", "/v1/buyers/37105-0570147-9");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ntnOrCnic: "3710505701479", registrationType: "Unregistered" });
  });

  it("refuses a malformed number with 400 and needs an API key", async () => {
    const bad = await t.call("GET", "/v1/buyers/12-34");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("bad_request");
    expect((await t.call("GET", "/v1/buyers/2046004", { key: "" })).status).toBe(401);
  });

  it("asks FBR once per buyer per Pakistan day, and again after midnight PKT", async () => {
    const tenant = await findTenant(t.gateway.store.db, SELLER_A.ntn);
    if (tenant === undefined) throw new Error("tenant missing");
    const paths: string[] = [];
    let now = new Date("2026-03-01T18:30:00Z"); // 23:30 PKT
    const lookup = new BuyerLookup({
      connections: new FbrConnections({
        fbrUrl: t.simulator.url,
        masterKey: t.masterKey,
        fetch: async (input, init) => {
          paths.push(new URL(String(input)).pathname);
          return fetch(input, init);
        },
      }),
      fbrTimeoutMs: 2_000,
      now: () => now,
    });
    const first = await lookup.lookup(tenant, "2046004");
    const again = await lookup.lookup(tenant, "2046004");
    expect(first.cached).toBe(false);
    expect(again).toMatchObject({ cached: true, day: "2026-03-01", checkedAt: first.checkedAt });
    expect(paths.sort()).toEqual(["/dist/v1/Get_Reg_Type", "/dist/v1/statl"]);

    now = new Date("2026-03-01T19:00:00Z"); // 00:00 PKT on 2 March: a new day
    const nextDay = await lookup.lookup(tenant, "2046004");
    expect(nextDay).toMatchObject({ cached: false, day: "2026-03-02" });
    expect(paths).toHaveLength(4);
  });

  it("says 502 fbr_unauthorised when FBR refuses the tenant's token, and caches no failure", async () => {
    const tenant = await findTenant(t.gateway.store.db, SELLER_A.ntn);
    if (tenant === undefined) throw new Error("tenant missing");
    let calls = 0;
    const lookup = new BuyerLookup({
      connections: new FbrConnections({
        fbrUrl: t.simulator.url,
        masterKey: t.masterKey,
        fetch: async () => {
          calls += 1;
          return new Response("", { status: 401 });
        },
      }),
      fbrTimeoutMs: 2_000,
    });
    await expect(lookup.lookup(tenant, "2046004")).rejects.toMatchObject({ code: "reference_unauthorised" });
    await expect(lookup.lookup(tenant, "2046004")).rejects.toMatchObject({ code: "reference_unauthorised" });
    expect(calls).toBe(4);
  });
});
