// Everyday tenant and key administration (issue 14): FBR's province list checked at `tenant add` and
// `tenant update`, updates audited, keys listed without the key itself; on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit } from "../src/audit/audit-log.ts";
import type { Store } from "../src/store/database.ts";
import {
  addTenant,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  TenantError,
  updateTenant,
} from "../src/tenants/tenants.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

const tenantInput = (ntn: string, province: string) => ({
  ntn,
  name: "Admin Co",
  province,
  address: "Lahore",
  environment: "sandbox" as const,
  fbrToken: "token",
});

describe.each(engines)("tenant and key administration (%s)", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore(engine));
  });
  afterAll(async () => cleanup());

  it("refuses a province FBR does not list, at add and at update, naming the valid ones", async () => {
    const refused = await addTenant(store.db, TEST_MASTER_KEY, tenantInput("1000001", "Narnia")).catch(
      (e) => e,
    );
    expect(refused).toBeInstanceOf(TenantError);
    expect((refused as Error).message).toMatch(
      /province "Narnia" is not one of FBR's provinces \(.*PUNJAB.*\)/,
    );
    expect((refused as Error).message).toContain("0073");

    const tenant = await addTenant(store.db, TEST_MASTER_KEY, tenantInput("1000002", " Punjab "));
    expect(tenant.province).toBe("Punjab"); // FBR compares without case; the seller's spelling is kept
    const update = await updateTenant(store.db, tenant.ntn, { province: "Atlantis" }).catch((e) => e);
    expect(update).toBeInstanceOf(TenantError);
  });

  it("updates name, province, address and environment with one audit entry of what changed", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, tenantInput("1000003", "Sindh"));
    const updated = await updateTenant(store.db, tenant.id, {
      name: "Renamed Co",
      province: "BALOCHISTAN",
      address: "Lahore",
      environment: "production",
    });
    expect(updated).toMatchObject({ name: "Renamed Co", province: "BALOCHISTAN", environment: "production" });
    const entries = await store.db
      .selectFrom("audit")
      .select(["action", "details"])
      .where("tenant_id", "=", tenant.id)
      .where("action", "=", "tenant.updated")
      .execute();
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]?.details ?? "{}")).toEqual({
      name: { from: "Admin Co", to: "Renamed Co" },
      province: { from: "Sindh", to: "BALOCHISTAN" },
      environment: { from: "sandbox", to: "production" },
    }); // the address did not change, so it is not listed

    await updateTenant(store.db, tenant.id, { name: "Renamed Co" }); // no change: no entry
    const after = await store.db
      .selectFrom("audit")
      .select("seq")
      .where("tenant_id", "=", tenant.id)
      .where("action", "=", "tenant.updated")
      .execute();
    expect(after).toHaveLength(1);
    await expect(updateTenant(store.db, "9999999", { name: "x" })).rejects.toBeInstanceOf(TenantError);
  });

  it("lists keys with scopes, label, last audited use and revocation, never the key or its hash", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, tenantInput("1000004", "Sindh"));
    const erp = await createApiKey(store.db, tenant.id, {
      label: "ERP",
      scopes: ["invoices:write", "invoices:read"],
    });
    const old = await createApiKey(store.db, tenant.id, {});
    await revokeApiKey(store.db, old.id);
    await store.db.transaction().execute((trx) =>
      appendAudit(trx, {
        tenantId: tenant.id,
        actor: `api:${erp.id}`,
        action: "invoice.submitted",
        subject: "inv_x",
        details: {},
      }),
    );

    const keys = await listApiKeys(store.db, tenant.ntn);
    expect(keys.map((k) => k.id)).toEqual([erp.id, old.id]);
    expect(keys[0]).toMatchObject({
      label: "ERP",
      scopes: ["invoices:write", "invoices:read"],
      revokedAt: null,
    });
    expect(keys[0]?.lastUsedAt).toEqual(expect.any(String));
    expect(keys[1]?.lastUsedAt).toBeNull();
    expect(keys[1]?.revokedAt).toEqual(expect.any(String));
    const text = JSON.stringify(keys);
    expect(text).not.toContain(erp.key);
    expect(text).not.toMatch(/hash/i);
    expect((await listApiKeys(store.db)).length).toBeGreaterThanOrEqual(2);
  });
});
