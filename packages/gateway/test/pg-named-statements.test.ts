// Named prepared statements on PostgreSQL (store/pg-named-statements.ts): the compiled inserts run as named
// statements, prepared once per connection and run again with new values; other statements stay unnamed,
// so a plan is never kept from a time the table was small.
import { sql, type Transaction } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertRows, precompiled } from "../src/store/compiled-query.ts";
import type { Store } from "../src/store/database.ts";
import type { Database } from "../src/store/schema.ts";
import { openTestStore } from "./helpers.ts";

/** The statements prepared on the connection `trx` runs on. */
async function prepared(trx: Transaction<Database>): Promise<string[]> {
  const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(
    trx,
  );
  return rows.map((row) => row.statement);
}

const hitsOf = precompiled((db, slots: { key: string }) =>
  db.selectFrom("rate_limit_windows").select("hits").where("key", "=", slots.key),
);

describe("named prepared statements on PostgreSQL", () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore("postgres"));
  });
  afterAll(() => cleanup());

  it("prepares a compiled insert once per connection and runs it with each run's values", async () => {
    const row = (n: number) => ({ key: `named:${n}`, window: n, hits: n * 10 });
    await store.db.transaction().execute(async (trx) => {
      await insertRows(trx, "rate_limit_windows", [row(1), row(2)]);
      await insertRows(trx, "rate_limit_windows", [row(3), row(4)]);
      const statements = await prepared(trx);
      expect(statements.filter((text) => text.startsWith('insert into "rate_limit_windows"'))).toHaveLength(
        1,
      );
      // A compiled read stays unnamed: its plan is made for the table as it is at each run.
      expect(await hitsOf(trx, { key: "named:4" })).toEqual([{ hits: 40 }]);
      expect(await prepared(trx)).toEqual(statements);
    });
    const rows = await store.db.selectFrom("rate_limit_windows").selectAll().orderBy("window").execute();
    expect(rows.map((r) => [r.key, Number(r.window), Number(r.hits)])).toEqual(
      [1, 2, 3, 4].map((n) => [`named:${n}`, n, n * 10]),
    );
  });
});
