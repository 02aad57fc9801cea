// A person settles an invoice the gateway could not: an in_doubt (or failed) invoice gets the FBR number they
// found in IRIS, is resubmitted on purpose, or is abandoned; and a number a person gave can be corrected
// until the invoice is printed or sealed. A typed number is checked before it becomes the invoice's
// number (and its QR code): its shape for the channel and seller, that no other invoice of the tenant holds
// it, and, where FBR can be asked, that FBR issued it.
import { fbrNumberProblem } from "@raseed/sdk";
import type { Kysely, Transaction } from "kysely";
import { DomainError } from "../errors.ts";
import type { GatewayEvents } from "../events.ts";
import { requeueOutbox } from "../outbox/outbox-sql.ts";
import type { Database, InvoiceRow, InvoiceState } from "../store/schema.ts";
import { getInvoice } from "./invoice-service.ts";
import { changeInvoiceState, type InvoiceFields, isFbrNumberFinal } from "./lifecycle.ts";

export type ReconcileRequest =
  | { action: "fbr_number"; fbrInvoiceNumber: string; dated?: string | undefined }
  | { action: "resubmit" }
  | { action: "abandon"; reason?: string | undefined };

/**
 * Asks FBR whether it issued a number. FBR publishes no look-up of DI or IMS numbers (FBR-SPEC §7, §13), so a
 * production gateway has none and the number is checked by shape and uniqueness alone; tests plug in the
 * simulator's inspection API, standing in for a person's look in IRIS.
 */
export interface FbrNumberLookup {
  find(
    channel: "di" | "ims",
    fbrInvoiceNumber: string,
  ): Promise<{ issued: false } | { issued: true; sellerNtnCnic?: string; posId?: string }>;
}

/** How far a reconciled number was checked, kept in the audit entry. */
export type FbrNumberCheck = "confirmed_by_fbr" | "shape_and_uniqueness";

const reconcilable: ReadonlySet<InvoiceState> = new Set(["in_doubt", "failed"]);
const RECONCILED_REASON = "reconciled with the FBR number found in IRIS";

function changedMeanwhile(): DomainError {
  return new DomainError(
    "invalid_state",
    "the invoice changed state meanwhile; read it again and decide anew",
  );
}

/** The seller a DI invoice was reported for (the payload's sellerNTNCNIC, always the tenant's: 0401). */
function sellerOf(row: InvoiceRow): string {
  const payload = JSON.parse(row.payload) as { sellerNTNCNIC?: unknown };
  return typeof payload.sellerNTNCNIC === "string" ? payload.sellerNTNCNIC : "";
}

/** Refuses a number that cannot be this invoice's; says how far it could be checked. */
async function checkFbrNumber(
  trx: Transaction<Database>,
  row: InvoiceRow,
  fbrInvoiceNumber: string,
  lookup: FbrNumberLookup | undefined,
): Promise<FbrNumberCheck> {
  const channel = row.channel === "ims" ? "ims" : "di";
  const seller = sellerOf(row);
  const shape = fbrNumberProblem(channel, fbrInvoiceNumber, { sellerNtnCnic: seller });
  if (shape !== undefined) throw new DomainError("invalid_fbr_number", shape.problem, { fix: shape.fix });
  // One FBR number is one reported sale: two invoices holding it would print the same QR code twice.
  const holder = await trx
    .selectFrom("invoices")
    .select("id")
    .where("tenant_id", "=", row.tenant_id)
    .where("fbr_invoice_number", "=", fbrInvoiceNumber)
    .where("id", "!=", row.id)
    .executeTakeFirst();
  if (holder !== undefined) {
    throw new DomainError(
      "fbr_number_in_use",
      `FBR number ${fbrInvoiceNumber} belongs to invoice ${holder.id}`,
      {
        invoiceId: holder.id,
      },
    );
  }
  if (lookup === undefined) return "shape_and_uniqueness";
  const found = await lookup.find(channel, fbrInvoiceNumber);
  const wrongSeller =
    found.issued &&
    ((channel === "di" && found.sellerNtnCnic !== undefined && found.sellerNtnCnic !== seller) ||
      (channel === "ims" && found.posId !== undefined && Number(found.posId) !== Number(row.pos_id)));
  if (!found.issued || wrongSeller) {
    throw new DomainError(
      "fbr_number_unknown",
      found.issued
        ? `FBR issued ${fbrInvoiceNumber} for another ${channel === "di" ? "seller" : "POS terminal"}`
        : `FBR has no invoice numbered ${fbrInvoiceNumber}`,
      { fix: "look the invoice up in IRIS again and copy its number exactly" },
    );
  }
  return "confirmed_by_fbr";
}

/**
 * Ends an in-doubt (or failed) invoice by a person's decision: the FBR number they found in IRIS, an
 * explicit resubmission (they accept the risk of a duplicate report), or abandoning it. On an accepted
 * invoice whose number a person gave, a new number is a correction (audited with the old one), allowed
 * until the invoice is printed or sealed; FBR's own answer is never replaced.
 */
export async function reconcileInvoice(
  db: Kysely<Database>,
  events: GatewayEvents,
  tenantId: string,
  invoiceId: string,
  request: ReconcileRequest,
  actor: string,
  lookup?: FbrNumberLookup,
): Promise<InvoiceRow> {
  const row = await getInvoice(db, tenantId, invoiceId);
  if (row.state === "accepted" && request.action === "fbr_number") {
    return correctFbrNumber(db, row, request, actor, lookup);
  }
  if (!reconcilable.has(row.state)) {
    throw new DomainError(
      "invalid_state",
      `only in_doubt or failed invoices can be reconciled (this one is ${row.state})`,
    );
  }
  const next: InvoiceState =
    request.action === "fbr_number" ? "accepted" : request.action === "resubmit" ? "queued" : "abandoned";
  // Read back inside the transaction: the answer and the event describe this decision, not whatever the
  // worker (kicked by a resubmission) has done with the invoice since.
  const updated = await db.transaction().execute(async (trx) => {
    let set: InvoiceFields;
    let details: Record<string, unknown> = { ...request };
    if (request.action === "fbr_number") {
      const check = await checkFbrNumber(trx, row, request.fbrInvoiceNumber, lookup);
      details = { ...details, check };
      set = {
        fbr_invoice_number: request.fbrInvoiceNumber,
        fbr_number_source: "person",
        fbr_dated: request.dated ?? null,
        last_reason: RECONCILED_REASON,
      };
    } else if (request.action === "resubmit") {
      set = { last_reason: "resubmitted by explicit request" };
    } else {
      set = { last_reason: request.reason ?? "abandoned by explicit request" };
    }
    // Compare-and-set: a concurrent reconcile, retry or the worker's late answer that moved the invoice
    // first makes this one a 409, never a second decision on top.
    const moved = await changeInvoiceState(trx, {
      event: "reconciled",
      invoice: row,
      to: next,
      set,
      audit: { actor, action: `invoice.reconciled.${request.action}`, details },
    });
    if (!moved) throw changedMeanwhile();
    if (request.action === "resubmit") await requeueOutbox(trx, invoiceId, tenantId);
    return getInvoice(trx, tenantId, invoiceId);
  });
  events.emit("invoice.state_changed", {
    tenantId,
    invoiceId,
    state: updated.state,
    previousState: row.state,
    fbrInvoiceNumber: updated.fbr_invoice_number,
  });
  return updated;
}

async function correctFbrNumber(
  db: Kysely<Database>,
  row: InvoiceRow,
  request: Extract<ReconcileRequest, { action: "fbr_number" }>,
  actor: string,
  lookup: FbrNumberLookup | undefined,
): Promise<InvoiceRow> {
  if (row.fbr_number_source !== "person") {
    throw new DomainError(
      "invalid_state",
      "FBR itself issued this invoice's number in answer to our post; it cannot be replaced",
    );
  }
  // Asking again for the number it already has changes nothing (a retried request).
  if (row.fbr_invoice_number === request.fbrInvoiceNumber && (request.dated ?? null) === row.fbr_dated)
    return row;
  await db.transaction().execute(async (trx) => {
    if (await isFbrNumberFinal(trx, row)) {
      throw new DomainError(
        "fbr_number_final",
        "this invoice was printed or sealed with its FBR number; that number can no longer be corrected",
      );
    }
    const check = await checkFbrNumber(trx, row, request.fbrInvoiceNumber, lookup);
    const moved = await changeInvoiceState(trx, {
      event: "corrected",
      invoice: row,
      fbrNumberWas: row.fbr_invoice_number,
      to: "accepted",
      set: {
        fbr_invoice_number: request.fbrInvoiceNumber,
        fbr_dated: request.dated ?? null,
        fbr_number_source: "person",
      },
      audit: {
        actor,
        action: "invoice.fbr_number_corrected",
        details: {
          fbrInvoiceNumber: request.fbrInvoiceNumber,
          previousFbrInvoiceNumber: row.fbr_invoice_number,
          dated: request.dated ?? null,
          previousDated: row.fbr_dated,
          check,
        },
      },
    });
    // Moved meanwhile, or corrected by someone else first (the number is compared too).
    if (!moved) throw changedMeanwhile();
  });
  return getInvoice(db, row.tenant_id, row.id);
}
