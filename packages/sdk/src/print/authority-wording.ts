// What a printed IMS document says about the authority the sale was reported to, written once for the
// pos-bridge's receipts and the gateway's printed invoices (A4 and receipt), so a PRA tenant's paper never
// carries FBR's wording. Authority facts: client/ims-authorities.ts (spec/data/ims-authorities.json).
import { IMS_AUTHORITIES, type ImsAuthority } from "../client/ims-authorities.ts";

/** The statement SRO 1006(I)/2021 requires on every FBR fiscal receipt, verbatim. */
export const FBR_VERIFY_STATEMENT =
  "Verify this invoice through FBR Tax Asaan Mobile App or SMS at 9966 and win exciting prizes in draw";

/** The caption above the fiscal number: "FBR Invoice Number", "PRA Invoice Number". */
export function imsInvoiceNumberCaption(authority: ImsAuthority = "fbr"): string {
  return `${IMS_AUTHORITIES[authority].shortName} Invoice Number`;
}

/**
 * The line printed under the fiscal number. Tax Asaan and SMS 9966 verify FBR's numbers (SRO 1006); PRA
 * publishes no verification line we could cite, so a PRA document names the authority instead of
 * promising FBR's channels.
 */
export function imsVerificationText(authority: ImsAuthority = "fbr"): string {
  return authority === "fbr" ? FBR_VERIFY_STATEMENT : `Reported to the ${IMS_AUTHORITIES[authority].name}`;
}
