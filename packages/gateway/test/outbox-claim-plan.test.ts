// The worker's claim reads an index in due order and stops at its limit (migration 0018, issue 11): before it,
// SQLite searched the lease index for every unleased row and sorted the whole queue on each claim. These are
// the plans each engine chooses for the statement the worker sends (claimDueOutboxQuery, compiled as sent).
import { type RawBuilder, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDueOutboxQuery } from "../src/outbox/outbox-sql.ts";
import type { Store } from "../src/store/database.ts";
import { engines, openTestStore } from "./helpers.ts";

const claim = (engine: Store["engine"]) =>
  claimDueOutboxQuery(engine, {
    owner: "claim-plan",
    leaseUntil: "2026-12-07T00:01:00.000Z",
    now: "2026-12-07T00:00:00.000Z",
    limit: 8,
    skipTenants: ["t-busy"],
  });

/** The plan's lines: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's text plan. */
async function plan(store: Store, query: RawBuilder<unknown>): Promise<string[]> {
  if (store.engine === "sqlite") {
    const rows = await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${query}`.execute(store.db);
    return rows.rows.map((r) => r.detail);
  }
  // PostgreSQL costs an empty table's plans by guesses; with sorting priced out, a plan still sorts only if
  // no index can give the rows in due order, which is what this asks.
  return store.db.transaction().execute(async (trx) => {
    await sql`SET LOCAL enable_sort = off`.execute(trx);
    await sql`SET LOCAL enable_seqscan = off`.execute(trx);
    const rows = await sql<{ "QUERY PLAN": string }>`EXPLAIN ${query}`.execute(trx);
    return rows.rows.map((r) => r["QUERY PLAN"]);
  });
}

describe.each(engines)("the outbox claim's plan on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore(engine));
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it("reads unleased rows from outbox_ready in due order, without sorting the queue", async () => {
    const lines = await plan(store, claim(engine));
    expect(lines.join("\n")).toContain("outbox_ready");
    expect(lines.filter((line) => /TEMP B-TREE|Sort/i.test(line))).toEqual([]);
  });
});

describe("the outbox claim's outer UPDATE on sqlite", () => {
  it("finds the chosen rows by primary key, not by scanning every unleased row", async () => {
    const { store, cleanup } = await openTestStore("sqlite");
    try {
      const lines = await plan(store, claim("sqlite"));
      expect(lines[0]).toMatch(
        /^SEARCH outbox USING (COVERING )?INDEX sqlite_autoindex_outbox_1 \(invoice_id=\?\)/,
      );
    } finally {
      await cleanup();
    }
  });
});
