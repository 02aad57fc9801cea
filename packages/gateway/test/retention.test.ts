// Six-year retention (Sales Tax Act s.24) on both engines: the database refuses to delete an invoice or an
// FBR attempt inside the window, whoever asks (Raseed or an operator at the SQL prompt), and lets a record
// go once six years have passed after the end of its tax period. The audit log refuses every delete.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insideRetention, retainedUntil } from "../src/records/retention.ts";
import type { Store } from "../src/store/database.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { SELLER_A } from "./harness.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

describe("the retention rule", () => {
  it.each([
    // Received 15 March 2020 (PKT): tax period March 2020, kept until the end of March 2026.
    ["2020-03-15T10:00:00.000Z", "2026-04-01"],
    // 20:30 UTC on 31 December is already January in Karachi: the January period, one month later.
    ["2025-12-31T20:30:00.000Z", "2032-02-01"],
    ["2025-12-31T18:59:59.000Z", "2032-01-01"],
    ["2024-02-29T12:00:00.000Z", "2030-03-01"],
  ])("a record received %s may go from %s", (receivedAt, until) => {
    expect(retainedUntil(receivedAt)).toBe(until);
    // The last Pakistan day inside the window, and the first outside (19:00 UTC is Pakistan midnight).
    const firstOut = Date.parse(`${until}T00:00:00.000Z`) - 5 * 3_600_000;
    expect(insideRetention(receivedAt, new Date(firstOut - 1))).toBe(true);
    expect(insideRetention(receivedAt, new Date(firstOut))).toBe(false);
  });
});

describe.each(engines)("retention guards on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let tenantId: string;

  beforeAll(async () => {
    const opened = await openTestStore(engine);
    store = opened.store;
    cleanup = opened.cleanup;
    tenantId = (
      await addTenant(store.db, TEST_MASTER_KEY, {
        ...SELLER_A,
        environment: "sandbox",
        fbrToken: SELLER_A.token,
      })
    ).id;
  });
  afterAll(async () => {
    await cleanup?.();
  });

  async function insertRecord(id: string, at: string): Promise<void> {
    await store.db
      .insertInto("invoices")
      .values({
        id,
        tenant_id: tenantId,
        external_ref: null,
        request_hash: id,
        payload: "{}",
        state: "accepted",
        fbr_invoice_number: null,
        fbr_dated: null,
        item_numbers: null,
        errors: null,
        last_reason: null,
        attempt_count: 1,
        pos_id: null,
        usin: null,
        buyer_ntn_cnic: null,
        buyer_name: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await store.db
      .insertInto("attempts")
      .values({
        id: `att_${id}`,
        invoice_id: id,
        tenant_id: tenantId,
        attempt_no: 1,
        started_at: at,
        finished_at: at,
        outcome: "accepted",
        url: "https://gw.fbr.gov.pk/di_data/v1/di/postinvoicedata",
        request_body: "{}",
        http_status: 200,
        response_body: "{}",
        duration_ms: 1,
        reason: null,
      })
      .execute();
  }

  async function deleteRecord(id: string): Promise<void> {
    await store.db.deleteFrom("attempts").where("invoice_id", "=", id).execute();
    await store.db.deleteFrom("invoices").where("id", "=", id).execute();
  }

  it("refuses to delete an invoice or attempt received this month, or at the start of the oldest month kept", async () => {
    const now = new Date();
    await insertRecord("inv_fresh", now.toISOString());
    // The first instant of the Pakistan month six years ago: still inside (its period ends at that month's end).
    const pk = new Date(now.getTime() + 5 * 3_600_000);
    const oldestKept = new Date(Date.UTC(pk.getUTCFullYear() - 6, pk.getUTCMonth(), 1) - 5 * 3_600_000);
    await insertRecord("inv_edge", oldestKept.toISOString());
    for (const id of ["inv_fresh", "inv_edge"]) {
      await expect(store.db.deleteFrom("attempts").where("invoice_id", "=", id).execute()).rejects.toThrow(
        /retention: attempts are kept six years after the end of their tax period/,
      );
      await expect(store.db.deleteFrom("invoices").where("id", "=", id).execute()).rejects.toThrow(
        /retention: invoices are kept six years/,
      );
    }
    expect(
      await store.db
        .selectFrom("invoices")
        .select("id")
        .where("id", "in", ["inv_fresh", "inv_edge"])
        .execute(),
    ).toHaveLength(2);
  });

  it("lets a record go once six years have passed after the end of its tax period", async () => {
    const now = new Date();
    const pk = new Date(now.getTime() + 5 * 3_600_000);
    // One second before the oldest month kept: the previous month, whose six years are over.
    const expired = new Date(Date.UTC(pk.getUTCFullYear() - 6, pk.getUTCMonth(), 1) - 5 * 3_600_000 - 1_000);
    expect(insideRetention(expired.toISOString(), now)).toBe(false);
    await insertRecord("inv_expired", expired.toISOString());
    await deleteRecord("inv_expired");
    expect(
      await store.db.selectFrom("invoices").select("id").where("id", "=", "inv_expired").execute(),
    ).toEqual([]);
  });

  it("keeps the audit log append-only whatever its age", async () => {
    const head = await store.db
      .selectFrom("audit")
      .select("seq")
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    expect(head).toBeDefined();
    await expect(sql`DELETE FROM audit WHERE tenant_id = ${tenantId}`.execute(store.db)).rejects.toThrow(
      /append-only/,
    );
  });
});
