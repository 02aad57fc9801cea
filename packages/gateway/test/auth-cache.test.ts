// API keys on SQLite are answered from memory while nothing that could change them was written
// (tenants/tenants.ts authenticateApiKey, store/sqlite-changes.ts): a revoked key, a disabled tenant or a
// changed tenant is seen by the very next request, whether the change came through the gateway's own
// connection or from another process on the same file (here: a second store, as `raseed key revoke` opens
// one beside a running gateway).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { appendAudit } from "../src/audit/audit-log.ts";
import { openStore, type Store } from "../src/store/database.ts";
import { changeWatches, writesTenantsOrKeys } from "../src/store/sqlite-changes.ts";
import {
  addTenant,
  authenticateApiKey,
  createApiKey,
  revokeApiKey,
  setTenantDisabled,
  setTenantToken,
  updateTenant,
} from "../src/tenants/tenants.ts";
import { openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

const seller = {
  ntn: "7000007",
  name: "Demo Traders",
  province: "Sindh",
  address: "Karachi",
  environment: "sandbox" as const,
  fbrToken: "sandbox-demo-token",
};

describe("API keys answered from memory on SQLite", () => {
  let store: Store;
  let other: Store;
  let file: string;
  let dataDir: string;
  let cleanup: () => Promise<void>;
  let tenantId: string;
  let key: { id: string; key: string };

  beforeEach(async () => {
    const opened = await openTestStore("sqlite");
    ({ store, cleanup, db: file, dataDir } = opened);
    other = await openStore({ db: file, dataDir, migrate: false });
    tenantId = (await addTenant(store.db, TEST_MASTER_KEY, seller)).id;
    key = await createApiKey(store.db, tenantId);
  });
  afterEach(async () => {
    await other.close();
    await cleanup();
  });

  it("answers a key read before from memory while only audit entries were written", async () => {
    const first = await authenticateApiKey(store.db, key.key);
    expect(first?.tenantId).toBe(tenantId);
    expect(await authenticateApiKey(store.db, key.key)).toBe(first);
    // Every audited change moves the tenant's chain head: that alone keeps the copy.
    await store.db
      .transaction()
      .execute((trx) =>
        appendAudit(trx, { tenantId, actor: "test", action: "test.entry", details: { n: 1 } }),
      );
    expect(await authenticateApiKey(store.db, key.key)).toBe(first);
    expect(await authenticateApiKey(store.db, "rsd_unknown")).toBeUndefined();
  });

  it("refuses a key revoked through the gateway's own connection at once", async () => {
    expect(await authenticateApiKey(store.db, key.key)).toBeDefined();
    await revokeApiKey(store.db, key.id);
    expect(await authenticateApiKey(store.db, key.key)).toBeUndefined();
  });

  it("refuses a key revoked by another process on the same file at once", async () => {
    expect(await authenticateApiKey(store.db, key.key)).toBeDefined();
    await revokeApiKey(other.db, key.id);
    expect(await authenticateApiKey(store.db, key.key)).toBeUndefined();
  });

  it("refuses the keys of a tenant disabled by either connection, and sees tenant changes", async () => {
    const before = await authenticateApiKey(store.db, key.key);
    await updateTenant(other.db, tenantId, { name: "Demo Traders (Pvt) Ltd" });
    const renamed = await authenticateApiKey(store.db, key.key);
    expect(renamed?.tenant.name).toBe("Demo Traders (Pvt) Ltd");
    expect(renamed).not.toBe(before);

    await setTenantDisabled(store.db, tenantId, true);
    expect(await authenticateApiKey(store.db, key.key)).toBeUndefined();
    await setTenantDisabled(other.db, tenantId, false);
    expect(await authenticateApiKey(store.db, key.key)).toBeDefined();
    await setTenantDisabled(other.db, tenantId, true);
    expect(await authenticateApiKey(store.db, key.key)).toBeUndefined();
  });

  it("sees a new token and the pause it lifts", async () => {
    await store.db.updateTable("tenants").set({ paused_at: "2026-12-07T00:00:00.000Z" }).execute();
    expect((await authenticateApiKey(store.db, key.key))?.tenant.paused_at).not.toBeNull();
    await setTenantToken(store.db, TEST_MASTER_KEY, tenantId, "new-token-123");
    expect((await authenticateApiKey(store.db, key.key))?.tenant.paused_at).toBeNull();
  });

  it("reads inside a transaction, where the copy is never used", async () => {
    const cached = await authenticateApiKey(store.db, key.key);
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable("api_keys").set({ revoked_at: "2026-12-07T00:00:00.000Z" }).execute();
      expect(changeWatches.get(trx)?.stamp()).toBeUndefined();
      expect(await authenticateApiKey(trx, key.key)).toBeUndefined();
    });
    expect(cached).toBeDefined();
    expect(await authenticateApiKey(store.db, key.key)).toBeUndefined();
  });

  it("reads one change stamp for the requests of one turn, after all of them asked", async () => {
    const first = await authenticateApiKey(store.db, key.key);
    const watch = changeWatches.get(store.db);
    if (watch === undefined) throw new Error("a SQLite store has a change watch");
    const stamp = vi.spyOn(watch, "stamp");
    const together = await Promise.all(
      Array.from({ length: 8 }, () => authenticateApiKey(store.db, key.key)),
    );
    expect(together.every((auth) => auth === first)).toBe(true);
    expect(stamp).toHaveBeenCalledTimes(1);

    // A revocation committed by another process in the same turn, before the second request asked: the shared
    // stamp is read after both, so neither is answered from the copy.
    stamp.mockClear();
    const asked = authenticateApiKey(store.db, key.key);
    await revokeApiKey(other.db, key.id);
    const askedAfter = authenticateApiKey(store.db, key.key);
    expect(await askedAfter).toBeUndefined();
    expect(await asked).toBeUndefined();
    // One shared stamp, and the one each re-read takes before reading the key.
    expect(stamp).toHaveBeenCalledTimes(3);
  });

  it("counts as changes only writes that name tenants or api_keys, the chain head's updates excepted", () => {
    expect(writesTenantsOrKeys('update "api_keys" set "revoked_at" = ? where "id" = ?')).toBe(true);
    expect(
      writesTenantsOrKeys('update "tenants" set "disabled_at" = ?, "updated_at" = ? where "id" = ?'),
    ).toBe(true);
    expect(
      writesTenantsOrKeys(
        'update "tenants" set "audit_head_hash" = ?, "audit_seq" = ?, "paused_at" = ? where "id" = ?',
      ),
    ).toBe(true);
    expect(writesTenantsOrKeys('insert into "audit" ("tenant_id", "seq") values (?, ?)')).toBe(false);
    expect(writesTenantsOrKeys('insert into "api_keys" ("id") values (?)')).toBe(true);
    expect(writesTenantsOrKeys("DELETE FROM tenants WHERE id = ?")).toBe(true);
    expect(writesTenantsOrKeys('alter table "main"."api_keys" add column "x" text')).toBe(true);
    // The worker's claim writes the outbox and only joins tenants.
    expect(
      writesTenantsOrKeys(
        "UPDATE outbox SET lease_owner = ? WHERE invoice_id IN (SELECT o.invoice_id FROM outbox o JOIN tenants t ON t.id = o.tenant_id WHERE t.paused_at IS NULL)",
      ),
    ).toBe(false);
    expect(
      writesTenantsOrKeys(
        'update "tenants" set "audit_seq" = "audit_seq" + ? where "id" = ? returning "audit_seq", "audit_head_hash", "audit_head_mac"',
      ),
    ).toBe(false);
    expect(
      writesTenantsOrKeys('update "tenants" set "audit_head_hash" = ?, "audit_head_mac" = ? where "id" = ?'),
    ).toBe(false);
  });
});
