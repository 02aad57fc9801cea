// `raseed audit verify`, part two: every invoice row checked against its audit trail and its seal. The
// chain (audit/audit-log.ts) proves the log is unaltered; this proves the invoices agree with the log:
// an edited FBR number, payload or state, or a deleted invoice, is named with its id.
import type { Kysely } from "kysely";
import type { Database, InvoiceRow, TenantRow } from "../store/schema.ts";
import type { RecordKeys } from "./keys.ts";
import { currentSealRecord, type SealRecord, sealSignatureHolds } from "./seals.ts";

export type RecordFindingKind =
  | "deleted"
  | "fbr_number_edited"
  | "fbr_date_edited"
  | "payload_edited"
  | "totals_edited"
  | "state_edited"
  | "seal_invalid"
  | "seal_missing"
  | "unsealed"
  | "not_in_audit";

export interface RecordFinding {
  tenantId: string;
  invoiceId: string;
  kind: RecordFindingKind;
  message: string;
}

/** States a sealed invoice may be in: accepted, or cancelled later by a person (recorded in IRIS). */
const SEALED_STATES = new Set<string>(["accepted", "cancelled"]);

function compareWithSeal(
  tenant: TenantRow,
  row: InvoiceRow,
  sealed: SealRecord,
  now: SealRecord,
): RecordFinding[] {
  const found: RecordFinding[] = [];
  const add = (kind: RecordFindingKind, message: string) =>
    found.push({ tenantId: tenant.id, invoiceId: row.id, kind, message });
  if (now.fbrInvoiceNumber !== sealed.fbrInvoiceNumber)
    add(
      "fbr_number_edited",
      `FBR invoice number is ${now.fbrInvoiceNumber || "(none)"}, sealed as ${sealed.fbrInvoiceNumber}`,
    );
  if (now.fbrDated !== sealed.fbrDated)
    add(
      "fbr_date_edited",
      `FBR date is ${now.fbrDated ?? "(none)"}, sealed as ${sealed.fbrDated ?? "(none)"}`,
    );
  if (now.payloadSha256 !== sealed.payloadSha256)
    add("payload_edited", "the payload differs from the one sent to FBR and sealed");
  else if (JSON.stringify(now.totals) !== JSON.stringify(sealed.totals))
    add("totals_edited", "the totals differ from the sealed ones");
  if (!SEALED_STATES.has(row.state)) add("state_edited", `state is ${row.state}, sealed as accepted`);
  return found;
}

/** Cross-checks one tenant's (or every tenant's) invoices with the audit log and the seals. */
export async function verifyInvoiceRecords(
  db: Kysely<Database>,
  keys: RecordKeys,
  tenantId?: string,
): Promise<RecordFinding[]> {
  let tenantsQuery = db.selectFrom("tenants").selectAll();
  if (tenantId !== undefined) tenantsQuery = tenantsQuery.where("id", "=", tenantId);
  const findings: RecordFinding[] = [];
  for (const tenant of await tenantsQuery.orderBy("created_at").execute()) {
    const add = (invoiceId: string, kind: RecordFindingKind, message: string) =>
      findings.push({ tenantId: tenant.id, invoiceId, kind, message });
    const rows = new Map(
      (await db.selectFrom("invoices").selectAll().where("tenant_id", "=", tenant.id).execute()).map((r) => [
        r.id,
        r,
      ]),
    );
    const seals = await db.selectFrom("seals").selectAll().where("tenant_id", "=", tenant.id).execute();
    const sealed = new Set(seals.map((s) => s.invoice_id));
    const audited = await db
      .selectFrom("audit")
      .select(["action", "subject", "details"])
      .where("tenant_id", "=", tenant.id)
      .where("action", "in", ["invoice.received", "invoice.sealed"])
      .execute();
    const received = new Set(audited.filter((a) => a.action === "invoice.received").map((a) => a.subject));
    const sealedInAudit = new Map<string, string>();
    for (const entry of audited) {
      if (entry.action !== "invoice.sealed" || entry.subject === null) continue;
      const details = JSON.parse(entry.details) as { fbrInvoiceNumber?: string };
      sealedInAudit.set(entry.subject, details.fbrInvoiceNumber ?? "");
    }
    const reportedDeleted = new Set<string>();

    for (const seal of seals) {
      if (!sealSignatureHolds(keys, seal.record, seal.signature)) {
        add(seal.invoice_id, "seal_invalid", "the seal's signature does not verify (seal altered or forged)");
        continue;
      }
      const record = JSON.parse(seal.record) as SealRecord;
      const row = rows.get(seal.invoice_id);
      if (row === undefined) {
        reportedDeleted.add(seal.invoice_id);
        add(
          seal.invoice_id,
          "deleted",
          `accepted invoice (FBR number ${record.fbrInvoiceNumber}) was deleted`,
        );
        continue;
      }
      const now = await currentSealRecord(db, row, tenant);
      findings.push(...compareWithSeal(tenant, row, record, now));
    }
    for (const [invoiceId, fbrNumber] of sealedInAudit) {
      if (sealed.has(invoiceId)) continue;
      if (!rows.has(invoiceId)) {
        reportedDeleted.add(invoiceId);
        add(invoiceId, "deleted", `accepted invoice (FBR number ${fbrNumber}) and its seal were deleted`);
      } else add(invoiceId, "seal_missing", "the audit log records a seal that is no longer there");
    }
    for (const invoiceId of received) {
      if (invoiceId === null || rows.has(invoiceId) || reportedDeleted.has(invoiceId)) continue;
      add(invoiceId, "deleted", "invoice received (audit log) is no longer in the database");
    }
    for (const row of rows.values()) {
      if (!received.has(row.id))
        add(row.id, "not_in_audit", "no invoice.received audit entry: inserted outside Raseed");
      if (row.state === "accepted" && !sealed.has(row.id) && !sealedInAudit.has(row.id))
        add(
          row.id,
          "unsealed",
          "accepted but not sealed (edited into accepted, or not sealed yet: run again)",
        );
    }
  }
  return findings;
}
