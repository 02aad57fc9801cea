// Recording a cancellation as FBR allows it today (STGO 01/2026, FBR-SPEC §9, SINGLE source): a person
// cancels the invoice in IRIS within 72 hours of FBR's date, or later with the Commissioner's approval, and
// records it here with the IRIS reference. Spec v1.12 has no cancellation endpoint, so nothing is sent to
// FBR; when PRAL publishes one, the sdk's FbrCancellationPort is the seam (called before recording).
import { FBR_CANCELLATION_WINDOW_HOURS, type FbrCancellationPort, PAKISTAN_UTC_OFFSET_MS } from "@raseed/sdk";
import type { Kysely, Transaction } from "kysely";
import { DomainError } from "../errors.ts";
import type { GatewayEvents } from "../events.ts";
import { getInvoice } from "../invoices/invoice-service.ts";
import { changeInvoiceState } from "../invoices/lifecycle.ts";
import type { CancellationsTable, Database, InvoiceRow, TenantRow } from "../store/schema.ts";

export class CancellationError extends DomainError {
  override readonly name = "CancellationError";
  constructor(
    override readonly code: "invalid_state" | "commissioner_approval_required" | "fbr_refused",
    message: string,
    details?: unknown,
  ) {
    super(code, message, details);
  }
}

export interface CancellationRequest {
  irisReference: string;
  reason: string;
  commissionerApprovalReference?: string | undefined;
}

/** FBR's `dated` is Pakistan time ("2026-12-06 14:20:00", no offset written; FBR-SPEC §3). */
export function fbrDateToInstant(dated: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?/.exec(dated);
  if (match === null) return undefined;
  const wallClockAsUtc = Date.parse(`${match[1]}T${match[2] ?? "00:00:00"}Z`);
  return Number.isNaN(wallClockAsUtc) ? undefined : new Date(wallClockAsUtc - PAKISTAN_UTC_OFFSET_MS);
}

/**
 * The end of the 72 hours in which a person may cancel without the Commissioner's approval. They run from
 * FBR's date; without one (an old reconcile) from when Raseed recorded acceptance.
 */
export function cancellationDeadline(row: Pick<InvoiceRow, "fbr_dated" | "updated_at">): Date {
  const from =
    (row.fbr_dated !== null ? fbrDateToInstant(row.fbr_dated) : undefined) ?? new Date(row.updated_at);
  return new Date(from.getTime() + FBR_CANCELLATION_WINDOW_HOURS * 3_600_000);
}

export async function cancelInvoice(
  db: Kysely<Database>,
  events: GatewayEvents,
  tenant: TenantRow,
  invoiceId: string,
  request: CancellationRequest,
  options: { actor: string; now: Date; fbr?: FbrCancellationPort },
): Promise<InvoiceRow> {
  const row = await getInvoice(db, tenant.id, invoiceId);
  if (row.state !== "accepted" || row.fbr_invoice_number === null) {
    throw new CancellationError(
      "invalid_state",
      `only an invoice FBR accepted can be cancelled (this one is ${row.state})`,
      { state: row.state },
    );
  }
  const deadline = cancellationDeadline(row);
  const late = options.now.getTime() > deadline.getTime();
  if (late && request.commissionerApprovalReference === undefined) {
    throw new CancellationError(
      "commissioner_approval_required",
      `more than ${FBR_CANCELLATION_WINDOW_HOURS} hours have passed since FBR's date (${deadline.toISOString()} was the limit): a cancellation now needs the Commissioner's approval reference (commissionerApprovalReference)`,
      { deadline: deadline.toISOString() },
    );
  }
  if (options.fbr !== undefined) {
    const answer = await options.fbr.cancelInvoice({
      fbrInvoiceNumber: row.fbr_invoice_number,
      sellerNTNCNIC: tenant.ntn,
      reason: request.reason,
    });
    if (answer.kind === "refused") throw new CancellationError("fbr_refused", answer.message, answer);
  }
  const record: CancellationsTable = {
    invoice_id: row.id,
    tenant_id: tenant.id,
    iris_reference: request.irisReference,
    reason: request.reason,
    commissioner_approval: request.commissionerApprovalReference ?? null,
    cancelled_at: options.now.toISOString(),
    actor: options.actor,
  };
  await db.transaction().execute(async (trx) => {
    const moved = await changeInvoiceState(trx, {
      event: "cancelled",
      invoice: row,
      to: "cancelled",
      audit: {
        actor: options.actor,
        action: "invoice.cancelled",
        details: {
          irisReference: record.iris_reference,
          reason: record.reason,
          commissionerApproval: record.commissioner_approval,
          withinWindow: !late,
        },
      },
    });
    if (!moved)
      throw new CancellationError("invalid_state", "the invoice changed state meanwhile; read it again");
    await trx.insertInto("cancellations").values(record).execute();
  });
  const updated = await getInvoice(db, tenant.id, invoiceId);
  events.emit("invoice.state_changed", {
    tenantId: tenant.id,
    invoiceId,
    state: updated.state,
    previousState: row.state,
    fbrInvoiceNumber: updated.fbr_invoice_number,
  });
  return updated;
}

export async function readCancellation(
  db: Kysely<Database> | Transaction<Database>,
  invoiceId: string,
): Promise<CancellationsTable | undefined> {
  return db.selectFrom("cancellations").selectAll().where("invoice_id", "=", invoiceId).executeTakeFirst();
}
