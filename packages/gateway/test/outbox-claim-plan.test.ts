// The worker's claim reads an index in due order and stops at its limit (migration 0018, issue 11): before it,
// SQLite searched the lease index for every unleased row and sorted the whole queue on each claim. These are
// the plans each engine chooses for the statement the worker sends (claimDueOutboxQuery, compiled as sent).
import { type RawBuilder, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDueOutboxQuery } from "../src/outbox/outbox-sql.ts";
import { insertRows } from "../src/store/compiled-query.ts";
import type { Store } from "../src/store/database.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

const claim = (engine: Store["engine"], limit = 8) =>
  claimDueOutboxQuery(engine, {
    owner: "claim-plan",
    leaseUntil: "2026-12-07T00:01:00.000Z",
    now: "2026-12-07T00:00:00.000Z",
    limit,
    skipTenants: ["t-busy"],
  });

/** The plan's lines: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's text plan. */
async function plan(store: Store, query: RawBuilder<unknown>): Promise<string[]> {
  if (store.engine === "sqlite") {
    const rows = await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${query}`.execute(store.db);
    return rows.rows.map((r) => r.detail);
  }
  const rows = await sql<{ "QUERY PLAN": string }>`EXPLAIN ${query}`.execute(store.db);
  return rows.rows.map((r) => r["QUERY PLAN"]);
}

describe("the outbox claim's plan on sqlite", () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore("sqlite"));
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it("reads unleased rows from outbox_ready in due order, without sorting the queue", async () => {
    const lines = await plan(store, claim("sqlite"));
    expect(lines.join("\n")).toContain("outbox_ready");
    expect(lines.filter((line) => /TEMP B-TREE/i.test(line))).toEqual([]);
  });

  it("finds the chosen rows by primary key, not by scanning every unleased row", async () => {
    const lines = await plan(store, claim("sqlite"));
    expect(lines[0]).toMatch(
      /^SEARCH outbox USING (COVERING )?INDEX sqlite_autoindex_outbox_1 \(invoice_id=\?\)/,
    );
  });
});

// PostgreSQL plans by the table's statistics, which autovacuum gathers a minute or more after the first rows
// arrive: a queue of 3,000 due invoices is planned here before it is analysed (as on a new installation's
// first import, and in the bench) and after, for the limits a claim round and a settlement's refill ask for.
describe("the outbox claim's plan on postgres", () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore("postgres"));
    await sql`alter table outbox set (autovacuum_enabled = false)`.execute(store.db);
    const seller = { province: "Sindh", address: "Karachi", environment: "sandbox" as const, fbrToken: "t" };
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, { ...seller, name: "Queue", ntn: "7300001" });
    const at = (n: number) => new Date(Date.parse("2026-12-06T00:00:00.000Z") + n).toISOString();
    const ids = Array.from({ length: 3_000 }, (_, n) => `inv_claim_${n}`);
    await insertRows(
      store.db,
      "invoices",
      ids.map((id, n) => ({
        id,
        tenant_id: tenant.id,
        channel: "di" as const,
        pos_id: null,
        usin: null,
        external_ref: `REF-${n}`,
        buyer_ntn_cnic: null,
        buyer_name: null,
        invoice_date: "2026-12-06",
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
        created_at: at(n),
        updated_at: at(n),
      })),
    );
    await insertRows(
      store.db,
      "outbox",
      ids.map((id, n) => ({
        invoice_id: id,
        tenant_id: tenant.id,
        due_at: at(n),
        lease_owner: null,
        lease_until: null,
        created_at: at(n),
      })),
    );
  });
  afterAll(async () => {
    await cleanup?.();
  });

  const limits = [1, 16, 64, 256];
  for (const statistics of ["before the table is analysed", "after"]) {
    it(`reads outbox_ready in due order and updates by primary key, ${statistics}`, async () => {
      if (statistics === "after") await sql`analyze outbox`.execute(store.db);
      for (const limit of limits) {
        const text = (await plan(store, claim("postgres", limit))).join("\n");
        expect({ limit, ordered: text.includes("Index Scan using outbox_ready on outbox o") }).toEqual({
          limit,
          ordered: true,
        });
        // Neither a sort of the due rows nor a scan of the whole queue, in the claim or in its UPDATE.
        expect({
          limit,
          wholeQueue: /Sort|Seq Scan on outbox|Index Scan on outbox_ready/.test(text),
        }).toEqual({
          limit,
          wholeQueue: false,
        });
        expect(text).toMatch(/Scan (using outbox_pkey on outbox|on outbox_pkey)\s/);
        expect(text).toContain("Index Cond: (invoice_id = ANY");
      }
    });
  }
});
