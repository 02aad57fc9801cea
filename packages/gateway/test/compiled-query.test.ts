// Queries compiled once (store/compiled-query.ts): one definition runs on SQLite and PostgreSQL, each with its
// own SQL text, with new values every run, inside a transaction as outside, and never answers from an old run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertRows, precompiled, valuesStatement } from "../src/store/compiled-query.ts";
import type { Store } from "../src/store/database.ts";
import { addTenant, authenticateApiKey, createApiKey, revokeApiKey } from "../src/tenants/tenants.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

const seller = {
  name: "Demo Traders",
  province: "Sindh",
  address: "Karachi",
  environment: "sandbox" as const,
  fbrToken: "sandbox-demo-token",
};

// Statements over a list of rows, one text per row count and engine.
const renameTenants = valuesStatement<{ id: string; name: string }>(
  ["id", "name"],
  "UPDATE tenants SET name = v.name FROM v WHERE tenants.id = v.id RETURNING tenants.id, tenants.name",
);
const doubled = valuesStatement<{ n: number | string }>(["n:integer"], "SELECT n * 2 AS n FROM v");

// One definition shared by both engines' stores, as the gateway's own are.
const tenantByNtn = precompiled((db, slots: { ntn: string }) =>
  db
    .selectFrom("tenants")
    .select(["id", "ntn"])
    .where("ntn", "=", slots.ntn)
    .where("disabled_at", "is", null),
);

describe.each(engines)("precompiled queries (%s)", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore(engine));
  });
  afterAll(() => cleanup());

  it("runs the compiled text with each run's values, in and out of a transaction", async () => {
    const a = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000001" });
    const b = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000002" });
    expect(await tenantByNtn(store.db, { ntn: "7000001" })).toEqual([{ id: a.id, ntn: "7000001" }]);
    expect(await tenantByNtn(store.db, { ntn: "7000002" })).toEqual([{ id: b.id, ntn: "7000002" }]);
    expect(await tenantByNtn(store.db, { ntn: "7999999" })).toEqual([]);
    await store.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("tenants")
        .set({ disabled_at: new Date().toISOString() })
        .where("id", "=", a.id)
        .execute();
      // The transaction sees its own write through the same compiled text.
      expect(await tenantByNtn(trx, { ntn: "7000001" })).toEqual([]);
      expect(await tenantByNtn(trx, { ntn: "7000002" })).toEqual([{ id: b.id, ntn: "7000002" }]);
    });
    expect(await tenantByNtn(store.db, { ntn: "7000001" })).toEqual([]);
  });

  it("authenticates from the database on every request: a revoked key is refused at once", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000003" });
    const first = await createApiKey(store.db, tenant.id);
    const second = await createApiKey(store.db, tenant.id);
    const auth = await authenticateApiKey(store.db, first.key);
    expect(auth?.keyId).toBe(first.id);
    // The key's tenant is the whole tenant row, and nothing of the key's own row.
    expect(auth?.tenant).toEqual(
      await store.db.selectFrom("tenants").selectAll().where("id", "=", tenant.id).executeTakeFirstOrThrow(),
    );
    expect((await authenticateApiKey(store.db, second.key))?.keyId).toBe(second.id);
    await revokeApiKey(store.db, first.id);
    expect(await authenticateApiKey(store.db, first.key)).toBeUndefined();
    expect((await authenticateApiKey(store.db, second.key))?.keyId).toBe(second.id);
  });

  it("inserts any number of rows in compiled chunks, each row's own values in place", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000004" });
    const row = (seq: number) => ({
      tenant_id: tenant.id,
      seq: 1_000 + seq,
      at: `2026-01-01T00:00:${String(seq % 60).padStart(2, "0")}.000Z`,
      actor: `actor ${seq}`,
      action: "test.row",
      subject: seq % 2 === 0 ? null : `subject ${seq}`,
      details: JSON.stringify({ seq }),
      prev_hash: `prev ${seq}`,
      hash: `hash ${seq}`,
      mac: null,
    });
    // 37 = 32 + 4 + 1, then 3 = 2 + 1 reusing compiled sizes, inside one transaction.
    const rows = Array.from({ length: 40 }, (_, i) => row(i + 1));
    await store.db.transaction().execute(async (trx) => {
      await insertRows(trx, "audit", rows.slice(0, 37));
      await insertRows(trx, "audit", rows.slice(37));
    });
    const stored = await store.db
      .selectFrom("audit")
      .selectAll()
      .where("tenant_id", "=", tenant.id)
      .where("action", "=", "test.row")
      .orderBy("seq")
      .execute();
    expect(stored.map((r) => ({ ...r, seq: Number(r.seq) }))).toEqual(rows);
  });

  it("inserts rows that set different columns as Kysely does, with the rest left to their defaults", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000005" });
    const base = {
      tenant_id: tenant.id,
      at: "2026-01-01T00:00:00.000Z",
      actor: "a",
      action: "test.mixed",
      details: "{}",
      prev_hash: "p",
      hash: "h",
    };
    await insertRows(store.db, "audit", [
      { ...base, seq: 2_001, subject: "s", mac: "m" },
      { ...base, seq: 2_002, mac: null },
    ]);
    const stored = await store.db
      .selectFrom("audit")
      .select(["seq", "subject", "mac"])
      .where("tenant_id", "=", tenant.id)
      .where("action", "=", "test.mixed")
      .orderBy("seq")
      .execute();
    expect(stored.map((r) => ({ ...r, seq: Number(r.seq) }))).toEqual([
      { seq: 2_001, subject: "s", mac: "m" },
      { seq: 2_002, subject: null, mac: null },
    ]);
  });

  it("runs a statement over any number of rows given as values, each row's own values in place", async () => {
    const a = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000011" });
    const b = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000012" });
    const renamed = await store.db.transaction().execute((trx) =>
      renameTenants(trx, [
        [a.id, "Alpha"],
        [b.id, "Beta"],
        ["ten_missing", "Gamma"],
      ]),
    );
    expect(renamed.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { id: a.id, name: "Alpha" },
      { id: b.id, name: "Beta" },
    ]);
    expect(await renameTenants(store.db, [[a.id, "Alpha 2"]])).toEqual([{ id: a.id, name: "Alpha 2" }]);
    expect(await renameTenants(store.db, [])).toEqual([]);
    // More rows than one statement takes: several statements, every row answered once; integers cast.
    const numbers = Array.from({ length: 600 }, (_, i) => i);
    const answers = await doubled(
      store.db,
      numbers.map((n) => [n]),
    );
    expect(answers.map((row) => Number(row.n)).sort((x, y) => x - y)).toEqual(numbers.map((n) => n * 2));
    await expect(doubled(store.db, [[1, 2]])).rejects.toThrow(/2 values for 1 columns/);
  });
});
