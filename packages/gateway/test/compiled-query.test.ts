// Queries compiled once (store/compiled-query.ts): one definition runs on SQLite and PostgreSQL, each with its
// own SQL text, with new values every run, inside a transaction as outside, and never answers from an old run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { precompiled } from "../src/store/compiled-query.ts";
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
    expect((await authenticateApiKey(store.db, first.key))?.keyId).toBe(first.id);
    expect((await authenticateApiKey(store.db, second.key))?.keyId).toBe(second.id);
    await revokeApiKey(store.db, first.id);
    expect(await authenticateApiKey(store.db, first.key)).toBeUndefined();
    expect((await authenticateApiKey(store.db, second.key))?.keyId).toBe(second.id);
  });
});
