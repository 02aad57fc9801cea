// The gateway's REST shapes, as the sdk's typed client sees them. Requests are the sdk's own types (the gateway
// validates with these same schemas: diInvoiceSchema, imsInvoiceSchema, buildDiInvoice's draft); responses mirror
// the gateway's views, and a gateway test checks that they stay assignable both ways.
import type { DiInvoiceDraft, DiPartyDraft } from "../model/index.ts";
import type { DiInvoice } from "../wire/di.ts";
import type { ImsInvoice } from "../wire/ims.ts";

/** Where an invoice is in the gateway's lifecycle (docs/api.md). */
export type GatewayInvoiceState =
  | "queued"
  | "submitting"
  | "accepted"
  | "rejected"
  | "retrying"
  | "paused"
  | "in_doubt"
  | "failed"
  | "abandoned"
  | "cancelled";

/**
 * The simpler form (buildDiInvoice's draft) as the gateway takes it: the seller defaults to the API key's tenant,
 * and the date is "YYYY-MM-DD" on the Pakistan calendar.
 */
export type GatewayInvoiceDraft = Omit<DiInvoiceDraft, "seller" | "date"> & {
  seller?: DiPartyDraft;
  date: string;
};

/** Any body `POST /v1/invoices` takes: FBR's own DI payload, `{ invoice }`, or the simpler `{ draft }`. */
export type GatewayInvoiceInput =
  | DiInvoice
  | { invoice: DiInvoice; externalRef?: string }
  | { draft: GatewayInvoiceDraft; externalRef?: string };

/** An invoice as the gateway answers it. */
export interface GatewayInvoice {
  id: string;
  externalRef: string | null;
  state: GatewayInvoiceState;
  fbrInvoiceNumber: string | null;
  /** Who gave the number: "fbr" (FBR's answer) or "person" (a reconcile, correctable until printed or sealed). */
  fbrNumberSource: "fbr" | "person" | null;
  dated: string | null;
  itemNumbers: string[] | null;
  errors: unknown[] | null;
  reason: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  /** The FBR payload, on `retrieve` only. */
  invoice?: DiInvoice;
}

export interface GatewayInvoiceListParams {
  state?: GatewayInvoiceState;
  /** The invoice's own date (invoiceDate, YYYY-MM-DD on the Pakistan calendar) on or after this day. */
  from?: string;
  /** The invoice's own date on or before this day (inclusive). */
  to?: string;
  /** Stored by the gateway at or after this instant, or from the start of this Pakistan day (YYYY-MM-DD). */
  createdFrom?: string;
  /** Stored at or before this instant, or by the end of this Pakistan day (YYYY-MM-DD). */
  createdTo?: string;
  externalRef?: string;
  /** Page size (1-500); iteration fetches further pages as needed. */
  limit?: number;
}

/** How to settle an in_doubt or failed invoice (`POST /v1/invoices/:id/reconcile`). */
export type GatewayReconcileDecision =
  | { fbrInvoiceNumber: string; dated?: string }
  | { action: "resubmit" }
  | { action: "abandon"; reason?: string };

export type GatewayImsInput = ImsInvoice;

/** An IMS sale as the gateway answers it. */
export interface GatewayImsInvoice {
  id: string;
  channel: "ims";
  posId: number;
  usin: string;
  state: GatewayInvoiceState;
  fbrInvoiceNumber: string | null;
  errors: unknown[] | null;
  reason: string | null;
  attempts: number;
  /** FBR's answer to the last attempt when it was a refusal, exactly as FBR wrote it. */
  fbrResponse: unknown;
  createdAt: string;
  updatedAt: string;
  invoice?: ImsInvoice;
}
