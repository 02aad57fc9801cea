// A person's decision that lands between the worker's read of a claimed invoice and its compare-and-set to
// `submitting` (PostgreSQL, where the claim locks the outbox row, not the invoice): the invoice is not posted,
// no attempt is recorded, and the row goes back to the queue, whose next claim reads what the person decided.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nowIso } from "../src/store/ids.ts";
import { sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";

describe("a claim racing a person's decision on postgres", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway("postgres");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("does not post an invoice whose state changed before its compare-and-set", async () => {
    const { db } = t.gateway.store;
    await db
      .updateTable("tenants")
      .set({ paused_at: nowIso(), paused_reason: "token refused" })
      .where("id", "=", t.tenantA)
      .execute();
    const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    expect(posted.body.state).toBe("paused");
    const id = posted.body.id as string;

    // A person's decision on the invoice, held open: the worker reads the committed `paused`, and its
    // compare-and-set waits for this row lock.
    await db.transaction().execute(async (person) => {
      await person.updateTable("invoices").set({ state: "abandoned" }).where("id", "=", id).execute();
      await db
        .updateTable("tenants")
        .set({ paused_at: null, paused_reason: null })
        .where("id", "=", t.tenantA)
        .execute();
      t.gateway.worker.kick();
      let waiting = 0;
      for (let i = 0; i < 20_000 && waiting === 0; i++) {
        const { rows } = await sql<{ n: string }>`
          select count(*) as n from pg_stat_activity
          where wait_event_type = 'Lock' and datname = current_database() and query like '%SET state = ''submitting''%'`.execute(
          db,
        );
        waiting = Number(rows[0]?.n ?? 0);
        if (waiting === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(waiting).toBeGreaterThan(0);
    });

    // The claim's transaction ends; the next claim finds the invoice abandoned and drops its row.
    let queued = 1;
    for (let i = 0; i < 20_000 && queued > 0; i++) {
      t.gateway.worker.kick();
      queued = (await db.selectFrom("outbox").select("invoice_id").where("invoice_id", "=", id).execute())
        .length;
      if (queued > 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(queued).toBe(0);
    const attempts = await db.selectFrom("attempts").select("id").where("invoice_id", "=", id).execute();
    expect(attempts).toHaveLength(0);
    const invoice = await db
      .selectFrom("invoices")
      .select("state")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(invoice.state).toBe("abandoned");
  });
});
