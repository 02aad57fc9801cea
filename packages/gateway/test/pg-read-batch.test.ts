// Batched reads (store/pg-read-batch.ts): the reads asked for in one turn share one query, each is
// answered with its own key's row, and a read asked for while a query runs gets a query of its own that
// starts after it was asked (so it sees what was committed before). Then the two reads the API batches on
// PostgreSQL: API keys (a revoked key is refused at once) and idempotency references.
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findReplay, invoicesByExternalRefsQuery } from "../src/invoices/invoice-service.ts";
import { insertRows } from "../src/store/compiled-query.ts";
import type { Store } from "../src/store/database.ts";
import { ReadBatch } from "../src/store/pg-read-batch.ts";
import { addTenant, authenticateApiKey, createApiKey, revokeApiKey } from "../src/tenants/tenants.ts";
import { openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

interface Row {
  key: string;
  value: number;
}

/** A read whose answers the test releases one by one. */
function controlledRead() {
  const calls: { keys: string[]; answer: (rows: Row[]) => void; fail: (error: Error) => void }[] = [];
  const started: (() => void)[] = [];
  const read = (keys: string[]) =>
    new Promise<Row[]>((resolve, reject) => {
      calls.push({ keys, answer: resolve, fail: reject });
      started.shift()?.();
    });
  const nextCall = () => new Promise<void>((resolve) => started.push(resolve));
  return { read, calls, nextCall };
}

describe("ReadBatch", () => {
  it("shares one read among the keys asked for in one turn and answers each its own row", async () => {
    const { read, calls, nextCall } = controlledRead();
    const batch = new ReadBatch<Row>(read, (row) => row.key);
    const called = nextCall();
    const answers = Promise.all([batch.get("a"), batch.get("b"), batch.get("a"), batch.get("missing")]);
    await called;
    expect(calls.map((call) => call.keys)).toEqual([["a", "b", "missing"]]);
    calls[0]?.answer([
      { key: "b", value: 2 },
      { key: "a", value: 1 },
    ]);
    expect(await answers).toEqual([
      { key: "a", value: 1 },
      { key: "b", value: 2 },
      { key: "a", value: 1 },
      undefined,
    ]);
  });

  it("gives a read asked for while a query runs a query that starts after it", async () => {
    const { read, calls, nextCall } = controlledRead();
    const batch = new ReadBatch<Row>(read, (row) => row.key);
    let called = nextCall();
    const early = batch.get("a");
    await called;
    called = nextCall();
    const late = batch.get("a");
    await called;
    expect(calls.map((call) => call.keys)).toEqual([["a"], ["a"]]);
    // The first query answers what it found before the change, the second after it.
    calls[1]?.answer([{ key: "a", value: 2 }]);
    calls[0]?.answer([{ key: "a", value: 1 }]);
    expect(await early).toEqual({ key: "a", value: 1 });
    expect(await late).toEqual({ key: "a", value: 2 });
  });

  it("fails every read of a failed query, and the next turn reads again", async () => {
    const { read, calls, nextCall } = controlledRead();
    const batch = new ReadBatch<Row>(read, (row) => row.key);
    let called = nextCall();
    const failed = Promise.allSettled([batch.get("a"), batch.get("b")]);
    await called;
    calls[0]?.fail(new Error("connection lost"));
    expect((await failed).map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    called = nextCall();
    const again = batch.get("a");
    await called;
    calls[1]?.answer([{ key: "a", value: 3 }]);
    expect(await again).toEqual({ key: "a", value: 3 });
  });
});

describe("API keys read in batches on PostgreSQL", () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore("postgres"));
  });
  afterAll(() => cleanup());

  it("answers concurrent authentications each with its own key, and refuses a revoked key at once", async () => {
    const seller = { province: "Sindh", address: "Karachi", environment: "sandbox" as const, fbrToken: "t" };
    const one = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, name: "One", ntn: "7200001" });
    const two = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, name: "Two", ntn: "7200002" });
    const keyOne = await createApiKey(store.db, one.id);
    const keyTwo = await createApiKey(store.db, two.id);
    const unknown = `rsd_${randomBytes(16).toString("hex")}`;
    const asked = [keyOne.key, keyTwo.key, unknown, keyOne.key, keyTwo.key];
    const answers = await Promise.all(asked.map((key) => authenticateApiKey(store.db, key)));
    expect(answers.map((auth) => auth?.tenantId)).toEqual([one.id, two.id, undefined, one.id, two.id]);
    await revokeApiKey(store.db, keyOne.id);
    const after = await Promise.all([keyOne.key, keyTwo.key].map((key) => authenticateApiKey(store.db, key)));
    expect(after.map((auth) => auth?.tenantId)).toEqual([undefined, two.id]);
  });
});

describe("idempotency references read in batches on PostgreSQL", () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let tenantId: string;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore("postgres"));
    const seller = { province: "Sindh", address: "Karachi", environment: "sandbox" as const, fbrToken: "t" };
    tenantId = (await addTenant(store.db, TEST_MASTER_KEY, { ...seller, name: "Refs", ntn: "7200003" })).id;
    // 2,000 DI invoices of one tenant and an IMS sale, never analysed: a fresh, fast-growing table.
    const at = "2026-12-07T00:00:00.000Z";
    const row = (n: number, channel: "di" | "ims") => ({
      id: `inv_ref_${channel}_${n}`,
      tenant_id: tenantId,
      channel,
      pos_id: channel === "ims" ? 1 : null,
      usin: channel === "ims" ? `U${n}` : null,
      external_ref: channel === "ims" ? "IMS-SHARED" : `REF-${n}`,
      buyer_ntn_cnic: null,
      buyer_name: null,
      invoice_date: "2026-12-07",
      request_hash: `hash-${n}`,
      payload: "{}",
      state: "queued" as const,
      fbr_invoice_number: null,
      fbr_number_source: null,
      fbr_dated: null,
      item_numbers: null,
      errors: null,
      last_reason: null,
      attempt_count: 0,
      created_at: at,
      updated_at: at,
    });
    await insertRows(
      store.db,
      "invoices",
      Array.from({ length: 2_000 }, (_, n) => row(n, "di")),
    );
    await insertRows(store.db, "invoices", [row(0, "ims")]);
  });
  afterAll(() => cleanup());

  it("probes the (tenant_id, external_ref) index for the references, not every invoice of the tenant", async () => {
    const query = invoicesByExternalRefsQuery({
      tenantId,
      externalRefs: ["REF-5", "NEW-1", "REF-77"],
    });
    const { rows } = await sql<{ "QUERY PLAN": string }>`EXPLAIN ${query}`.execute(store.db);
    const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
    expect(plan).toContain("invoices_tenant_external_ref");
    expect(plan).not.toMatch(/invoices_tenant_invoice_date|Seq Scan/);
  });

  it("answers concurrent submissions' references each with its own DI invoice, never an IMS sale", async () => {
    const asked = ["REF-5", "NEW-1", "REF-77", "IMS-SHARED", "REF-5"];
    const found = await Promise.all(
      asked.map((externalRef) =>
        findReplay(store.db, tenantId, { externalRef, requestHash: "" }).catch(() => "conflict"),
      ),
    );
    // A stored reference with other content is a conflict (409); an unknown one, or an IMS sale's, is new.
    expect(found).toEqual(["conflict", undefined, "conflict", undefined, "conflict"]);
    const replays = await Promise.all(
      ["REF-5", "REF-77"].map((externalRef) =>
        findReplay(store.db, tenantId, { externalRef, requestHash: `hash-${externalRef.slice(4)}` }),
      ),
    );
    expect(replays.map((invoice) => invoice?.id)).toEqual(["inv_ref_di_5", "inv_ref_di_77"]);
  });
});
