// Store, tenants, keys, audit chain and outbox SQL: the same tests on SQLite and on PostgreSQL.
import { statSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChains } from "../src/audit/audit-log.ts";
import {
  claimDueOutbox,
  claimExpiredLeases,
  completeOutbox,
  enqueueOutbox,
  rescheduleOutbox,
} from "../src/outbox/outbox-sql.ts";
import type { Store } from "../src/store/database.ts";
import { newId, nowIso } from "../src/store/ids.ts";
import { decryptSecret, encryptSecret, loadMasterKey } from "../src/tenants/secret-box.ts";
import {
  addTenant,
  authenticateApiKey,
  createApiKey,
  listTenants,
  revokeApiKey,
  setTenantToken,
  tenantFbrToken,
} from "../src/tenants/tenants.ts";
import { dropAuditGuards, engines, openTestStore, TEST_MASTER_KEY, tempDir } from "./helpers.ts";

const seller = {
  ntn: "7000007",
  name: "Demo Traders",
  province: "Sindh",
  address: "Karachi",
  environment: "sandbox" as const,
  fbrToken: "sandbox-demo-token",
};

async function insertInvoice(store: Store, tenantId: string): Promise<string> {
  const id = newId("inv");
  const now = nowIso();
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("invoices")
      .values({
        id,
        tenant_id: tenantId,
        external_ref: null,
        request_hash: "h",
        payload: "{}",
        state: "queued",
        fbr_invoice_number: null,
        fbr_dated: null,
        item_numbers: null,
        errors: null,
        last_reason: null,
        attempt_count: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await enqueueOutbox(trx, { invoiceId: id, tenantId });
  });
  return id;
}

describe("master key", () => {
  it("is created once with owner-only permissions and reused", () => {
    const dir = tempDir();
    try {
      const first = loadMasterKey({ dataDir: dir.path });
      const mode = statSync(join(dir.path, "master.key")).mode & 0o777;
      expect(mode).toBe(0o600);
      expect(loadMasterKey({ dataDir: dir.path }).equals(first)).toBe(true);
      expect(first.length).toBe(32);
    } finally {
      dir.remove();
    }
  });

  it("seals secrets bound to their owner", () => {
    const sealed = encryptSecret(TEST_MASTER_KEY, "secret-token", "ten_a");
    expect(sealed).not.toContain("secret-token");
    expect(decryptSecret(TEST_MASTER_KEY, sealed, "ten_a")).toBe("secret-token");
    expect(() => decryptSecret(TEST_MASTER_KEY, sealed, "ten_b")).toThrow(/cannot decrypt/);
    expect(() => decryptSecret(Buffer.alloc(32, 1), sealed, "ten_a")).toThrow(/cannot decrypt/);
  });
});

describe.each(engines)("store on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestStore(engine);
    store = opened.store;
    cleanup = opened.cleanup;
  });
  afterAll(async () => {
    await cleanup();
  });

  it("stores tenants with the FBR token encrypted and API keys hashed", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, seller);
    const row = await store.db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", tenant.id)
      .executeTakeFirstOrThrow();
    expect(row.fbr_token_enc).not.toContain("sandbox-demo-token");
    expect(tenantFbrToken(TEST_MASTER_KEY, row)).toBe("sandbox-demo-token");
    await expect(addTenant(store.db, TEST_MASTER_KEY, seller)).rejects.toThrow(/already exists/);

    const key = await createApiKey(store.db, "7000007", { scopes: ["invoices:read"] });
    const stored = await store.db
      .selectFrom("api_keys")
      .selectAll()
      .where("id", "=", key.id)
      .executeTakeFirstOrThrow();
    expect(stored.key_hash).not.toBe(key.key);
    expect(JSON.stringify(stored)).not.toContain(key.key);
    const auth = await authenticateApiKey(store.db, key.key);
    expect(auth?.tenantId).toBe(tenant.id);
    expect(auth?.scopes.has("invoices:read")).toBe(true);
    expect(auth?.scopes.has("invoices:write")).toBe(false);
    await revokeApiKey(store.db, key.id);
    expect(await authenticateApiKey(store.db, key.key)).toBeUndefined();
    await expect(createApiKey(store.db, tenant.id, { scopes: ["everything"] })).rejects.toThrow(
      /unknown scope/,
    );
    expect((await listTenants(store.db)).map((t) => t.ntn)).toEqual(["7000007"]);
  });

  it("keeps a verifiable hash chain and finds the first broken link after an edit or deletion", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000008" });
    await setTenantToken(store.db, TEST_MASTER_KEY, tenant.id, "new-token-123");
    await createApiKey(store.db, tenant.id);
    await createApiKey(store.db, tenant.id);
    let [report] = await verifyAuditChains(store.db, tenant.id);
    expect(report).toMatchObject({ ok: true, entries: 4 });
    const auditText = JSON.stringify(await store.db.selectFrom("audit").selectAll().execute());
    expect(auditText).not.toContain("new-token-123");

    // The database itself refuses edits and deletions of audit entries.
    await expect(
      store.db.updateTable("audit").set({ actor: "me" }).where("tenant_id", "=", tenant.id).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(store.db.deleteFrom("audit").where("tenant_id", "=", tenant.id).execute()).rejects.toThrow(
      /append-only/,
    );
    await dropAuditGuards(store);

    await store.db
      .updateTable("audit")
      .set({ details: '{"scopes":["invoices:read"]}' })
      .where("tenant_id", "=", tenant.id)
      .where("seq", "=", 3)
      .execute();
    [report] = await verifyAuditChains(store.db, tenant.id);
    expect(report?.ok).toBe(false);
    expect(report?.firstBroken?.seq).toBe(3);

    const other = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000009" });
    await createApiKey(store.db, other.id);
    await createApiKey(store.db, other.id);
    await store.db.deleteFrom("audit").where("tenant_id", "=", other.id).where("seq", "=", 2).execute();
    [report] = await verifyAuditChains(store.db, other.id);
    expect(report?.firstBroken).toMatchObject({ seq: 2 });

    // Truncating the tail is caught by the head kept on the tenant row.
    const third = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000010" });
    await createApiKey(store.db, third.id);
    await store.db.deleteFrom("audit").where("tenant_id", "=", third.id).where("seq", "=", 2).execute();
    [report] = await verifyAuditChains(store.db, third.id);
    expect(report?.ok).toBe(false);
    expect(report?.firstBroken?.seq).toBe(2);
  });

  it("claims each due row once across concurrent claimers and honours due times and leases", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000011" });
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) ids.push(await insertInvoice(store, tenant.id));
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + 60_000).toISOString();
    const claims = await Promise.all(
      ["a", "b", "c"].map((owner) =>
        claimDueOutbox(store.db, store.engine, { owner, leaseUntil, now: now.toISOString(), limit: 12 }),
      ),
    );
    const claimed = claims.flat().map((r) => r.invoice_id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.length).toBe(30);
    // Nothing is claimable while leased.
    expect(
      await claimDueOutbox(store.db, store.engine, {
        owner: "d",
        leaseUntil,
        now: now.toISOString(),
        limit: 50,
      }),
    ).toEqual([]);

    const first = claims[0]?.[0]?.invoice_id as string;
    // Only the lease owner may complete or reschedule.
    expect(await completeOutbox(store.db, first, "someone-else")).toBe(false);
    const later = new Date(now.getTime() + 5_000).toISOString();
    expect(await rescheduleOutbox(store.db, first, "a", later)).toBe(true);
    const notYet = await claimDueOutbox(store.db, store.engine, {
      owner: "d",
      leaseUntil,
      now: now.toISOString(),
      limit: 50,
    });
    expect(notYet).toEqual([]);
    const due = await claimDueOutbox(store.db, store.engine, {
      owner: "d",
      leaseUntil,
      now: later,
      limit: 50,
    });
    expect(due.map((r) => r.invoice_id)).toEqual([first]);

    // Expired leases are taken over by exactly one recoverer.
    const future = new Date(now.getTime() + 120_000).toISOString();
    const recovered = await Promise.all(
      ["r1", "r2"].map((owner) =>
        claimExpiredLeases(store.db, store.engine, {
          owner,
          now: future,
          leaseUntil: new Date(now.getTime() + 200_000).toISOString(),
        }),
      ),
    );
    const recoveredIds = recovered.flat().map((r) => r.invoice_id);
    expect(new Set(recoveredIds).size).toBe(30);
    expect(recoveredIds.length).toBe(30);
    await sql`delete from outbox`.execute(store.db);
  });

  it("skips paused tenants when claiming", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, ntn: "7000012" });
    await insertInvoice(store, tenant.id);
    await store.db.updateTable("tenants").set({ paused_at: nowIso() }).where("id", "=", tenant.id).execute();
    const now = nowIso();
    const claimed = await claimDueOutbox(store.db, store.engine, {
      owner: "x",
      now,
      leaseUntil: new Date(Date.now() + 60_000).toISOString(),
      limit: 10,
    });
    expect(claimed).toEqual([]);
    const result = await setTenantToken(store.db, TEST_MASTER_KEY, tenant.id, "fresh-token-1");
    expect(result.tenant.paused).toBe(false);
    const after = await claimDueOutbox(store.db, store.engine, {
      owner: "x",
      now: nowIso(),
      leaseUntil: new Date(Date.now() + 60_000).toISOString(),
      limit: 10,
    });
    expect(after.length).toBe(1);
  });
});
