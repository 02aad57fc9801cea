// FBR cancellation: a seam, not an endpoint. Today PRAL's DI API has no cancellation call: a person cancels
// the invoice in IRIS (within 72 hours of FBR's date; later only with the Commissioner's approval) and records
// it in their own system (STGO 01/2026 as quoted in FBR-SPEC §1 and §9, SINGLE source; spec v1.12 has no cancel endpoint). When PRAL publishes an endpoint, implement this interface
// with the DI client's transport and hand it to the gateway: it will call it before recording the
// cancellation. Nothing here guesses a URL or a payload.

export interface FbrCancellationRequest {
  fbrInvoiceNumber: string;
  sellerNTNCNIC: string;
  reason: string;
}

export type FbrCancellationResult =
  | { kind: "cancelled"; reference: string }
  | { kind: "refused"; code?: string; message: string };

export interface FbrCancellationPort {
  cancelInvoice(request: FbrCancellationRequest): Promise<FbrCancellationResult>;
}

/** Hours after FBR's date within which a seller may cancel in IRIS on their own. */
export const FBR_CANCELLATION_WINDOW_HOURS = 72;
