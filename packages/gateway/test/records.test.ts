// Tamper evidence that covers the invoices (issue 9), on both engines: an intruder with full database
// rights but without the master key edits rows directly; `verifyInvoiceRecords` names each edit by invoice
// id, and the keyed audit chain catches an entry rewritten and rehashed.
import { verify } from "node:crypto";
import { canonicalJson } from "@raseed/sdk";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adoptUnkeyedChains, verifyAuditChains } from "../src/audit/audit-log.ts";
import { registerAuditChainKey } from "../src/audit/chain-key.ts";
import { deriveRecordKeys } from "../src/records/keys.ts";
import { invoiceWasPrintedOrSealed, readSeal, sealPendingInvoices } from "../src/records/seals.ts";
import { verifyInvoiceRecords } from "../src/records/verify-records.ts";
import { sha256Hex } from "../src/store/ids.ts";
import type { Database } from "../src/store/schema.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { type Loose, SELLER_A, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { dropAuditGuards, dropRetentionGuards, engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

/** What an intruder without the key can do: rewrite an entry and recompute every SHA-256 link after it. */
async function rewriteAndRehash(
  db: Kysely<Database>,
  tenantId: string,
  seq: number,
  actor: string,
): Promise<void> {
  const rows = await db
    .selectFrom("audit")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("seq")
    .execute();
  let prev = "";
  for (const row of rows) {
    const entry = { ...row, seq: Number(row.seq), actor: Number(row.seq) === seq ? actor : row.actor };
    if (entry.seq >= seq) {
      const hash = sha256Hex(
        `${prev}\n${canonicalJson({
          tenant_id: entry.tenant_id,
          seq: entry.seq,
          at: entry.at,
          actor: entry.actor,
          action: entry.action,
          subject: entry.subject,
          details: entry.details,
        })}`,
      );
      await db
        .updateTable("audit")
        .set({ actor: entry.actor, prev_hash: prev, hash })
        .where("tenant_id", "=", tenantId)
        .where("seq", "=", entry.seq)
        .execute();
      prev = hash;
    } else prev = row.hash;
  }
  await db.updateTable("tenants").set({ audit_head_hash: prev }).where("id", "=", tenantId).execute();
}

describe.each(engines)("seals and tamper evidence on %s", (engine) => {
  let t: TestGateway;
  const accepted: Loose[] = [];

  beforeAll(async () => {
    t = await startTestGateway(engine);
    for (let i = 0; i < 5; i++) {
      const posted = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
      accepted.push(await t.waitFor(t.keyA, posted.body.id, ["accepted"]));
    }
    // The sealer seals on the acceptance event; the sweep is idempotent and makes the test independent of
    // when that event's work finishes.
    await sealPendingInvoices(t.gateway.store.db, t.gateway.recordKeys);
    await t.gateway.sealer.idle();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("seals every accepted invoice with an Ed25519 signature anyone can check with the public key", async () => {
    const db = t.gateway.store.db;
    for (const invoice of accepted) {
      const seal = await readSeal(db, invoice.id);
      expect(seal?.record.fbrInvoiceNumber).toBe(invoice.fbrInvoiceNumber);
      expect(seal?.record.sellerNtn).toBe(SELLER_A.ntn);
      expect(seal?.short).toMatch(/^RS1-[0-9a-f]{8}-[A-Za-z0-9_-]{16}$/);
      const row = await db
        .selectFrom("seals")
        .selectAll()
        .where("invoice_id", "=", invoice.id)
        .executeTakeFirstOrThrow();
      // Checked with node:crypto and the public key alone, as an outside auditor would.
      expect(
        verify(
          null,
          Buffer.from(row.record),
          t.gateway.recordKeys.sealPublicKey,
          Buffer.from(row.signature, "base64url"),
        ),
      ).toBe(true);
      expect(await invoiceWasPrintedOrSealed(db, invoice.id)).toBe(true);
    }
    const sealedEntries = await db
      .selectFrom("audit")
      .select("subject")
      .where("action", "=", "invoice.sealed")
      .execute();
    expect(sealedEntries.map((e) => e.subject).sort()).toEqual(accepted.map((a) => a.id).sort());
    // Sealing twice changes nothing.
    expect(await sealPendingInvoices(db, t.gateway.recordKeys)).toBe(0);
  });

  it("prints the seal's short form on the tax invoice", async () => {
    const response = await fetch(`${t.url}/v1/invoices/${accepted[0].id}/pdf`, {
      headers: { authorization: `Bearer ${t.keyA}` },
    });
    const { pdfText } = await import("./pdf-tools.ts");
    const seal = await readSeal(t.gateway.store.db, accepted[0].id);
    expect(pdfText(Buffer.from(await response.arrayBuffer()))).toContain(`Seal: ${seal?.short}`);
  });

  it("finds nothing on untouched records, then names each edited or deleted invoice by id", async () => {
    const db = t.gateway.store.db;
    const keys = t.gateway.recordKeys;
    const chains = await verifyAuditChains(db, undefined, { chainKey: keys.chainKey });
    expect(chains.every((c) => c.ok)).toBe(true);
    expect(await verifyInvoiceRecords(db, keys)).toEqual([]);

    const [a, b, c, d, e] = accepted.map((i) => i.id as string);
    // The intruder has full rights: the retention triggers go first (the audit triggers stay, for now).
    await dropRetentionGuards(t.gateway.store);
    await db
      .updateTable("invoices")
      .set({ fbr_invoice_number: "7000007DI1000000000000" })
      .where("id", "=", a as string)
      .execute();
    await sql`UPDATE invoices SET payload = replace(payload, 'test item', 'edited item') WHERE id = ${b}`.execute(
      db,
    );
    await db
      .updateTable("invoices")
      .set({ state: "rejected" })
      .where("id", "=", c as string)
      .execute();
    for (const id of [d, e] as string[]) {
      await db.deleteFrom("invoice_prints").where("invoice_id", "=", id).execute();
      await db.deleteFrom("outbox").where("invoice_id", "=", id).execute();
      await db.deleteFrom("attempts").where("invoice_id", "=", id).execute();
      await db.deleteFrom("invoices").where("id", "=", id).execute();
    }
    // For d the intruder also removes the seal: the audit log still says it was sealed.
    await db
      .deleteFrom("seals")
      .where("invoice_id", "=", d as string)
      .execute();

    const findings = await verifyInvoiceRecords(db, keys);
    const summary = findings.map((f) => `${f.invoiceId} ${f.kind}`).sort();
    expect(summary).toEqual(
      [
        `${a} fbr_number_edited`,
        `${b} payload_edited`,
        `${c} state_edited`,
        `${d} deleted`,
        `${e} deleted`,
      ].sort(),
    );
    expect(findings.find((f) => f.invoiceId === a)?.message).toBe(
      `FBR invoice number is 7000007DI1000000000000, sealed as ${accepted[0].fbrInvoiceNumber}`,
    );
    expect(findings.find((f) => f.invoiceId === d)?.message).toBe(
      `accepted invoice (FBR number ${accepted[3].fbrInvoiceNumber}) and its seal were deleted`,
    );
  });

  it("catches an audit entry rewritten and rehashed by someone without the master key", async () => {
    const db = t.gateway.store.db;
    await dropAuditGuards(t.gateway.store);
    await rewriteAndRehash(db, t.tenantA, 3, "api:someone-else");
    // Without the key the forgery would pass: the SHA-256 chain alone is consistent again.
    const [unkeyed] = await verifyAuditChains(db, t.tenantA);
    expect(unkeyed?.ok).toBe(true);
    const [keyed] = await verifyAuditChains(db, t.tenantA, { chainKey: t.gateway.recordKeys.chainKey });
    expect(keyed?.ok).toBe(false);
    expect(keyed?.firstBroken).toEqual({
      seq: 3,
      reason: "entry 3 does not match its MAC (altered and rehashed by someone without the key)",
    });
  });
});

describe.each(engines)("keying chains written before keys existed, on %s", (engine) => {
  it("adopts an intact unkeyed chain with an audit.keyed entry; leaves a broken one for verify to report", async () => {
    const opened = await openTestStore(engine);
    try {
      const db = opened.store.db;
      const intact = await addTenant(db, TEST_MASTER_KEY, {
        ...SELLER_A,
        environment: "sandbox",
        fbrToken: "t1",
      });
      const broken = await addTenant(db, TEST_MASTER_KEY, {
        ...SELLER_A,
        ntn: "7100001",
        environment: "sandbox",
        fbrToken: "t2",
      });
      await dropAuditGuards(opened.store);
      await db.updateTable("audit").set({ actor: "forged" }).where("tenant_id", "=", broken.id).execute();

      const keys = deriveRecordKeys(TEST_MASTER_KEY);
      registerAuditChainKey(db, keys.chainKey);
      expect(await adoptUnkeyedChains(db)).toEqual([intact.id]);
      const reports = await verifyAuditChains(db, undefined, { chainKey: keys.chainKey });
      const byTenant = new Map(reports.map((r) => [r.tenantId, r]));
      expect(byTenant.get(intact.id)?.ok).toBe(true);
      expect(byTenant.get(intact.id)?.entries).toBe(2);
      expect(byTenant.get(broken.id)?.ok).toBe(false);
      const last = await db
        .selectFrom("audit")
        .select(["action", "mac"])
        .where("tenant_id", "=", intact.id)
        .orderBy("seq", "desc")
        .executeTakeFirstOrThrow();
      expect(last.action).toBe("audit.keyed");
      expect(last.mac).toMatch(/^[0-9a-f]{64}$/);
      // Stripping the MACs does not turn the chain back into an unkeyed one that verifies.
      await db.updateTable("audit").set({ mac: null }).where("tenant_id", "=", intact.id).execute();
      await db.updateTable("tenants").set({ audit_head_mac: null }).where("id", "=", intact.id).execute();
      const [stripped] = await verifyAuditChains(db, intact.id, { chainKey: keys.chainKey });
      expect(stripped?.ok).toBe(false);
      expect(stripped?.firstBroken?.reason).toContain("carries no MAC");
    } finally {
      await opened.cleanup();
    }
  });
});
