// Printing an invoice: which copy it is (ORIGINAL, DUPLICATE, PROFORMA), the print counted and audited in
// one transaction, and the exact FBR payload for manual upload in IRIS.
import { type ImsAuthority, imsAuthorityOfUrl } from "@raseed/sdk";
import type { Kysely } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import { DomainError } from "../errors.ts";
import { getInvoice } from "../invoices/invoice-service.ts";
import { readCancellation } from "../records/cancellations.ts";
import { readSeal } from "../records/seals.ts";
import type { Database, InvoiceRow, TenantRow } from "../store/schema.ts";
import { toPrintable } from "./printable.ts";
import { type DocumentFormat, type DocumentLogo, renderInvoicePdf } from "./render.ts";

/** Asked for a tax invoice of an invoice FBR has not accepted (Rule 150XA: no tax invoice before). */
export class NotAcceptedError extends DomainError {
  override readonly name = "NotAcceptedError";
  constructor(readonly state: string) {
    super(
      "not_accepted",
      `FBR has not accepted this invoice (it is ${state}): it cannot be printed as a tax invoice; ` +
        "ask with ?proforma=true for a proforma",
      { state },
    );
  }
}

/** Asked for a proforma of an invoice that FBR already accepted: print the tax invoice instead. */
export class AlreadyAcceptedError extends DomainError {
  override readonly name = "AlreadyAcceptedError";
  constructor() {
    super("already_accepted", "FBR accepted this invoice: print the tax invoice (without ?proforma=true)");
  }
}

export interface PrintRequest {
  format: DocumentFormat;
  proforma: boolean;
  /** Who printed it, for the audit entry ("api:<keyId>", "user:<id>"). */
  actor: string;
  logo?: DocumentLogo;
  now?: () => Date;
}

export interface PrintedDocument {
  pdf: Buffer;
  copy: "original" | "duplicate" | "proforma";
  /** The tax-invoice print number (1 = the original); 0 for a proforma. */
  printNumber: number;
  filename: string;
}

/** Accepted, or cancelled after acceptance (then printed with CANCELLED on it). */
function printable(row: InvoiceRow): boolean {
  return (row.state === "accepted" || row.state === "cancelled") && row.fbr_invoice_number !== null;
}

function filename(row: InvoiceRow, format: DocumentFormat, copy: string): string {
  return `${row.id}-${format}${copy === "proforma" ? "-proforma" : ""}.pdf`;
}

/**
 * The IMS authority that accepted a sale, from the URL its accepting attempt was posted to; undefined for DI,
 * for a sale a person reconciled (no accepting attempt), or a path no authority owns.
 */
async function reportedTo(db: Kysely<Database>, row: InvoiceRow): Promise<ImsAuthority | undefined> {
  if (row.channel !== "ims") return undefined;
  const attempt = await db
    .selectFrom("attempts")
    .select("url")
    .where("invoice_id", "=", row.id)
    .where("outcome", "=", "accepted")
    .orderBy("attempt_no", "desc")
    .executeTakeFirst();
  return attempt === undefined ? undefined : imsAuthorityOfUrl(attempt.url);
}

/**
 * Renders the invoice. A tax invoice (FBR accepted it) counts the print and writes the audit entry in the
 * same transaction that reads the count, so two concurrent prints can never both be the ORIGINAL (the audit
 * append takes the tenant's write lock first). A proforma is neither counted nor sealed, and carries no FBR
 * number and no QR.
 */
export async function printInvoice(
  db: Kysely<Database>,
  tenant: TenantRow,
  invoiceId: string,
  request: PrintRequest,
): Promise<PrintedDocument> {
  const now = request.now ?? (() => new Date());
  const row = await getInvoice(db, tenant.id, invoiceId);
  const base = {
    format: request.format,
    printedAt: now().toISOString(),
    ...(request.logo !== undefined ? { logo: request.logo } : {}),
  };
  if (!printable(row)) {
    if (!request.proforma) throw new NotAcceptedError(row.state);
    const pdf = await renderInvoicePdf(toPrintable(row, tenant), { ...base, copy: "proforma" });
    return { pdf, copy: "proforma", printNumber: 0, filename: filename(row, request.format, "proforma") };
  }
  if (request.proforma) throw new AlreadyAcceptedError();
  return db.transaction().execute(async (trx) => {
    // The audit entry first: it takes the tenant's write lock, serialising prints of one tenant.
    const previous = await trx
      .selectFrom("invoice_prints")
      .select("prints")
      .where("invoice_id", "=", row.id)
      .executeTakeFirst();
    const printNumber = Number(previous?.prints ?? 0) + 1;
    const copy = printNumber === 1 ? "original" : "duplicate";
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor: request.actor,
      action: "invoice.printed",
      subject: row.id,
      details: { format: request.format, copy, print: printNumber },
    });
    const at = now().toISOString();
    if (previous === undefined) {
      await trx
        .insertInto("invoice_prints")
        .values({
          invoice_id: row.id,
          tenant_id: tenant.id,
          prints: 1,
          first_printed_at: at,
          last_printed_at: at,
        })
        .execute();
    } else {
      await trx
        .updateTable("invoice_prints")
        .set({ prints: printNumber, last_printed_at: at })
        .where("invoice_id", "=", row.id)
        .execute();
    }
    const seal = await readSeal(trx, row.id);
    const authority = await reportedTo(trx, row);
    const cancellation = row.state === "cancelled" ? await readCancellation(trx, row.id) : undefined;
    const pdf = await renderInvoicePdf(toPrintable(row, tenant, authority), {
      ...base,
      copy,
      ...(copy === "duplicate" ? { printNumber } : {}),
      ...(seal !== undefined ? { sealShort: seal.short } : {}),
      ...(cancellation !== undefined
        ? { cancelled: { at: cancellation.cancelled_at, irisReference: cancellation.iris_reference } }
        : {}),
    });
    return { pdf, copy, printNumber, filename: filename(row, request.format, copy) };
  });
}

/**
 * The exact body posted to FBR (DI: `postinvoicedata`, as FBR spells every field; IMS: PostData), for
 * manual upload in IRIS. It is the stored payload byte for byte, whatever the invoice's state.
 */
export async function fbrPayload(db: Kysely<Database>, tenantId: string, invoiceId: string): Promise<string> {
  const row = await getInvoice(db, tenantId, invoiceId);
  return row.payload;
}
