// What the simulated FBR has accepted. FBR keeps no idempotency key (FBR-SPEC §1): posting the same
// payload twice yields two invoice numbers. The store records every acceptance and counts identical
// payloads, so a test can prove a sale was reported exactly once.
import { createHash } from "node:crypto";
import { canonicalJson } from "@raseed/sdk";

export interface AcceptedInvoice {
  channel: "di" | "ims";
  invoiceNumber: string;
  environment: "sandbox" | "production";
  path: string;
  dated: string;
  acceptedAt: string;
  payloadHash: string;
  sellerNTNCNIC?: string;
  POSID?: string;
  USIN?: string;
  invoiceDate?: string;
  itemNumbers?: string[];
  invoiceType?: string;
  invoiceRefNo?: string;
  /** Σ valueSalesExcludingST, the figure debit-note value caps are checked against (0036). */
  totalValue?: number;
  /** Σ salesTaxApplicable (0067). */
  totalSalesTax?: number;
  /** True when the answer was deliberately dropped after saving (commit-then-drop fault). */
  answerDropped: boolean;
  payload: unknown;
}

export interface ListedInvoice extends AcceptedInvoice {
  /** How many accepted posts carried exactly this payload (1 = reported once). */
  postCount: number;
}

/** sha256 of the payload with object keys sorted, so key order alone never makes two payloads differ. */
export function payloadHash(payload: unknown): string {
  return createHash("sha256").update(canonicalJson(payload)).digest("hex");
}

/** Identical payloads are counted per channel and environment: a sandbox post is not a production one. */
function countKey(invoice: AcceptedInvoice): string {
  return `${invoice.channel}:${invoice.environment}:${invoice.payloadHash}`;
}

export class InvoiceStore {
  private readonly invoices: AcceptedInvoice[] = [];
  private readonly byNumber = new Map<string, AcceptedInvoice>();
  private readonly countsByHash = new Map<string, number>();

  add(invoice: AcceptedInvoice): void {
    this.invoices.push(invoice);
    this.byNumber.set(invoice.invoiceNumber, invoice);
    const key = countKey(invoice);
    this.countsByHash.set(key, (this.countsByHash.get(key) ?? 0) + 1);
  }

  list(): ListedInvoice[] {
    return this.invoices.map((invoice) => ({
      ...invoice,
      postCount: this.countsByHash.get(countKey(invoice)) ?? 0,
    }));
  }

  /**
   * A DI invoice this seller had accepted in this environment, for debit-note checks (FBR answers 0057
   * when the reference is unknown). Sandbox and production are separate FBR stores: a production debit
   * note never sees a sandbox invoice.
   */
  findDiInvoice(
    invoiceNumber: string,
    sellerNtn: string,
    environment: AcceptedInvoice["environment"],
  ): AcceptedInvoice | undefined {
    const found = this.byNumber.get(invoiceNumber.trim());
    return found &&
      found.channel === "di" &&
      found.sellerNTNCNIC === sellerNtn &&
      found.environment === environment
      ? found
      : undefined;
  }

  /** Debit notes this seller had accepted in this environment against one original FBR invoice number. */
  debitNotesAgainst(
    originalNumber: string,
    sellerNtn: string,
    environment: AcceptedInvoice["environment"],
  ): AcceptedInvoice[] {
    return this.invoices.filter(
      (invoice) =>
        invoice.channel === "di" &&
        invoice.environment === environment &&
        invoice.sellerNTNCNIC === sellerNtn &&
        invoice.invoiceType === "Debit Note" &&
        invoice.invoiceRefNo === originalNumber.trim(),
    );
  }

  get size(): number {
    return this.invoices.length;
  }

  clear(): void {
    this.invoices.length = 0;
    this.byNumber.clear();
    this.countsByHash.clear();
  }
}
