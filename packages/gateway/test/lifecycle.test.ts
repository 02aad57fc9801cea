// The lifecycle owner: its table allows exactly what it lists, each change is a compare-and-set with its
// audit entry on both engines, and no other source file writes invoices.state.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChains } from "../src/audit/audit-log.ts";
import {
  changeInvoiceState,
  changeInvoiceStates,
  IllegalTransitionError,
  INVOICE_TRANSITIONS,
  insertInvoice,
  isAllowedTransition,
  markAllSubmitting,
  markSubmitting,
} from "../src/invoices/lifecycle.ts";
import type { Store } from "../src/store/database.ts";
import { newId, nowIso } from "../src/store/ids.ts";
import { type InvoiceRow, type InvoiceState, invoiceStates } from "../src/store/schema.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

describe("INVOICE_TRANSITIONS", () => {
  it("names only real states, and every state is reachable", () => {
    const reached = new Set<string>();
    for (const t of INVOICE_TRANSITIONS) {
      for (const from of t.from) expect(from === "new" || invoiceStates.includes(from)).toBe(true);
      for (const to of t.to) {
        expect(invoiceStates).toContain(to);
        reached.add(to);
      }
    }
    expect([...reached].sort()).toEqual([...invoiceStates].sort());
  });

  it("never lets anything automatic leave accepted, and never re-posts an in_doubt invoice by itself", () => {
    for (const t of INVOICE_TRANSITIONS) {
      // Only a person moves an accepted invoice: correcting its number, or recording its cancellation.
      if (t.from.includes("accepted"))
        expect([
          { event: "corrected", to: ["accepted"] },
          { event: "cancelled", to: ["cancelled"] },
        ]).toContainEqual({ event: t.event, to: t.to });
      if (t.from.includes("in_doubt") && t.to.includes("queued")) expect(t.event).toBe("reconciled");
    }
    expect(isAllowedTransition("settled", "in_doubt", "retrying")).toBe(false);
    expect(isAllowedTransition("retried", "in_doubt", "queued")).toBe(false);
    expect(isAllowedTransition("reconciled", "in_doubt", "queued")).toBe(true);
    expect(isAllowedTransition("late_answer", "abandoned", "accepted")).toBe(true);
    expect(isAllowedTransition("late_answer", "abandoned", "rejected")).toBe(false);
  });

  it("allows exactly the moves the table lists, for every event, state and target", () => {
    const events = [...new Set(INVOICE_TRANSITIONS.map((t) => t.event))];
    for (const event of events) {
      for (const from of ["new" as const, ...invoiceStates]) {
        for (const to of invoiceStates) {
          const listed = INVOICE_TRANSITIONS.some(
            (t) => t.event === event && t.from.includes(from) && t.to.includes(to),
          );
          expect(isAllowedTransition(event, from, to), `${event} ${from} -> ${to}`).toBe(listed);
        }
      }
    }
  });
});

/** Source files under src/ other than lifecycle.ts that write the invoices table's state. */
function stateWritersOutsideLifecycle(): string[] {
  const root = new URL("../src/", import.meta.url).pathname;
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (
        name.endsWith(".ts") &&
        !name.endsWith(".test.ts") &&
        !path.endsWith("invoices/lifecycle.ts")
      ) {
        const text = readFileSync(path, "utf8");
        // An UPDATE of invoices that sets state, an INSERT into invoices, or raw SQL doing either.
        const update = /updateTable\("invoices"\)[\s\S]{0,200}?\.set\(\{[^}]*\bstate\b/.test(text);
        const insert = /insertInto\("invoices"\)/.test(text);
        const raw = /UPDATE\s+invoices\s+SET[^;`]*\bstate\b|INSERT\s+INTO\s+invoices\b/i.test(text);
        if (update || insert || raw) offenders.push(path.slice(root.length));
      }
    }
  };
  walk(root);
  return offenders;
}

describe("the only writer of invoices.state", () => {
  it("is invoices/lifecycle.ts", () => {
    expect(stateWritersOutsideLifecycle()).toEqual([]);
  });
});

describe.each(engines)("changeInvoiceState on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let tenantId: string;

  beforeAll(async () => {
    const opened = await openTestStore(engine);
    store = opened.store;
    cleanup = opened.cleanup;
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, {
      ntn: "7000007",
      name: "Demo Traders",
      province: "Sindh",
      address: "Karachi",
      environment: "sandbox",
      fbrToken: "sandbox-demo-token",
    });
    tenantId = tenant.id;
  });
  afterAll(async () => {
    await cleanup();
  });

  async function newInvoice(state: InvoiceState = "queued"): Promise<InvoiceRow> {
    const now = nowIso();
    const row: InvoiceRow = {
      id: newId("inv"),
      tenant_id: tenantId,
      channel: "di",
      buyer_ntn_cnic: null,
      buyer_name: null,
      invoice_date: null,
      pos_id: null,
      usin: null,
      external_ref: null,
      request_hash: "h",
      payload: "{}",
      state,
      fbr_invoice_number: null,
      fbr_dated: null,
      item_numbers: null,
      errors: null,
      last_reason: null,
      attempt_count: 0,
      created_at: now,
      updated_at: now,
    };
    await store.db
      .transaction()
      .execute((trx) => insertInvoice(trx, row, { actor: "test", action: "invoice.received" }));
    return row;
  }

  async function auditOf(id: string): Promise<{ action: string; details: Record<string, unknown> }[]> {
    const rows = await store.db
      .selectFrom("audit")
      .selectAll()
      .where("subject", "=", id)
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({ action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  it("moves the state with its audit entry in one transaction", async () => {
    const invoice = await newInvoice();
    const moved = await store.db.transaction().execute(async (trx) => {
      expect(await markSubmitting(trx, invoice, 1)).toBe(true);
      return changeInvoiceState(trx, {
        event: "settled",
        invoice: { ...invoice, state: "submitting" },
        to: "accepted",
        set: { fbr_invoice_number: "7000007DI1747119701593" },
        audit: { actor: "test", action: "fbr.post", details: { outcome: "accepted" } },
      });
    });
    expect(moved).toBe(true);
    const row = await store.db
      .selectFrom("invoices")
      .selectAll()
      .where("id", "=", invoice.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      state: "accepted",
      fbr_invoice_number: "7000007DI1747119701593",
      attempt_count: 1,
    });
    expect(await auditOf(invoice.id)).toEqual([
      { action: "invoice.received", details: { state: "queued" } },
      { action: "fbr.post", details: { outcome: "accepted", from: "submitting", to: "accepted" } },
    ]);
    expect((await verifyAuditChains(store.db, tenantId))[0]?.ok).toBe(true);
  });

  it("compare-and-set: a stale read changes nothing and writes no audit entry", async () => {
    const invoice = await newInvoice();
    await store.db.transaction().execute((trx) =>
      changeInvoiceState(trx, {
        event: "paused",
        invoice,
        to: "paused",
        audit: { actor: "test", action: "invoice.paused" },
      }),
    );
    // A second decision made on the old read (still "queued") must not land on top of the first.
    const stale = await store.db.transaction().execute((trx) =>
      changeInvoiceState(trx, {
        event: "paused",
        invoice,
        to: "paused",
        audit: { actor: "test", action: "invoice.paused" },
      }),
    );
    expect(stale).toBe(false);
    expect((await auditOf(invoice.id)).map((a) => a.action)).toEqual(["invoice.received", "invoice.paused"]);
  });

  it("refuses a move the table does not allow, and the transaction writes nothing", async () => {
    const invoice = await newInvoice();
    await expect(
      store.db.transaction().execute((trx) =>
        changeInvoiceState(trx, {
          event: "settled",
          invoice,
          to: "accepted",
          audit: { actor: "test", action: "fbr.post" },
        }),
      ),
    ).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(newInvoice("accepted")).rejects.toBeInstanceOf(IllegalTransitionError);
    const row = await store.db
      .selectFrom("invoices")
      .select("state")
      .where("id", "=", invoice.id)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe("queued");
  });

  it("keeps tenants apart: another tenant's id is not moved", async () => {
    const invoice = await newInvoice();
    const moved = await store.db.transaction().execute((trx) =>
      changeInvoiceState(trx, {
        event: "paused",
        invoice: { ...invoice, tenant_id: "ten_other" },
        to: "paused",
        audit: { actor: "test", action: "invoice.paused" },
      }),
    );
    expect(moved).toBe(false);
  });

  it("claims several at once: each compared with the state its claim read, the stale one left alone", async () => {
    const a = await newInvoice();
    const b = await newInvoice();
    const stale = await newInvoice();
    await store.db.transaction().execute((trx) =>
      changeInvoiceState(trx, {
        event: "paused",
        invoice: stale,
        to: "paused",
        audit: { actor: "t", action: "p" },
      }),
    );
    const moved = await store.db.transaction().execute((trx) =>
      markAllSubmitting(trx, [
        { invoice: a, attemptCount: 1 },
        { invoice: stale, attemptCount: 1 },
        { invoice: { ...b, state: "retrying" as const }, attemptCount: 4 },
        { invoice: b, attemptCount: 3 },
      ]),
    );
    expect([...moved].sort()).toEqual([a.id, b.id].sort());
    const rows = await store.db
      .selectFrom("invoices")
      .select(["id", "state", "attempt_count"])
      .where("id", "in", [a.id, b.id, stale.id])
      .execute();
    expect(new Map(rows.map((r) => [r.id, [r.state, Number(r.attempt_count)]]))).toEqual(
      new Map([
        [a.id, ["submitting", 1]],
        [b.id, ["submitting", 3]],
        [stale.id, ["paused", 0]],
      ]),
    );
  });

  it("changes several at once, each by compare-and-set with the columns it sets, and answers each one's audit entry", async () => {
    const accepted = await newInvoice();
    const rejected = await newInvoice();
    const stale = await newInvoice();
    await store.db.transaction().execute((trx) =>
      markAllSubmitting(
        trx,
        [accepted, rejected].map((invoice) => ({ invoice, attemptCount: 1 })),
      ),
    );
    const audit = { actor: "test", action: "fbr.post", details: { n: 1 } };
    const entries = await store.db.transaction().execute((trx) =>
      changeInvoiceStates(trx, [
        {
          event: "settled",
          invoice: { ...accepted, state: "submitting" },
          to: "accepted",
          set: { fbr_invoice_number: "7000007DI1747119701593", last_reason: null },
          audit,
        },
        // Still queued: a settlement read "submitting", which it no longer is.
        { event: "settled", invoice: { ...stale, state: "submitting" }, to: "rejected", audit },
        {
          event: "settled",
          invoice: { ...rejected, state: "submitting" },
          to: "rejected",
          set: { errors: "[]", last_reason: "0052: bad" },
          audit,
        },
      ]),
    );
    expect(entries).toEqual([
      {
        tenantId,
        actor: "test",
        action: "fbr.post",
        subject: accepted.id,
        details: { n: 1, from: "submitting", to: "accepted" },
      },
      undefined,
      {
        tenantId,
        actor: "test",
        action: "fbr.post",
        subject: rejected.id,
        details: { n: 1, from: "submitting", to: "rejected" },
      },
    ]);
    const rows = await store.db
      .selectFrom("invoices")
      .selectAll()
      .where("id", "in", [accepted.id, rejected.id, stale.id])
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(accepted.id)).toMatchObject({
      state: "accepted",
      fbr_invoice_number: "7000007DI1747119701593",
      errors: null,
      last_reason: null,
    });
    expect(byId.get(rejected.id)).toMatchObject({
      state: "rejected",
      errors: "[]",
      last_reason: "0052: bad",
    });
    expect(byId.get(stale.id)).toMatchObject({ state: "queued" });
    // The table is asked for every change before anything is written.
    await expect(
      store.db.transaction().execute((trx) =>
        changeInvoiceStates(trx, [
          { event: "settled", invoice: { ...stale, state: "submitting" }, to: "accepted", audit },
          { event: "settled", invoice: stale, to: "accepted", audit },
        ]),
      ),
    ).rejects.toBeInstanceOf(IllegalTransitionError);
  });
});
