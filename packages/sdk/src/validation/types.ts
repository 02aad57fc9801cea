/** One problem found in an invoice, answered with FBR's own code where FBR has one. */
export interface ValidationIssue {
  /** FBR's zero-padded code ("0046"), or a Raseed code ("RDI02", "RIMS05") where FBR publishes none. Its row
   * in docs/errors.md, with the fix, is `fbrErrorDocsUrl(code)` ("docs/errors.md#0046"). */
  code: string;
  /** "item" when the problem sits on a line (then `item` is set), "header" otherwise. */
  level: "header" | "item";
  /** FBR's field name, e.g. "rate" or "invoiceDate" ("" when the problem is the payload itself). */
  field: string;
  /** Where in the payload, e.g. "items[2].rate" (0-based index, as JSON paths are). */
  path: string;
  /** 1-based line number, as FBR's itemSNo counts. */
  item?: number;
  /** What is wrong with this invoice, in plain words. */
  message: string;
  /** How to fix it (from the error catalogue unless the rule knows better). */
  fix: string;
}

export interface ValidationResult {
  valid: boolean;
  issues: ValidationIssue[];
}

/**
 * "valid": nothing wrong that Raseed can see and nothing left that only FBR can check. "invalid": at least
 * one issue. "valid-fbr-will-check": no issue, but FBR still checks things only it knows (`fbrWillCheck`).
 */
export type ValidationVerdict = "valid" | "invalid" | "valid-fbr-will-check";

/** Rules only FBR can decide, named so a caller can show what is still open. */
export type FbrOnlyRule =
  | "hs-code-exists"
  | "buyer-registration"
  | "scenario-assigned"
  | "duplicate-lines"
  | "invoice-date-utc-day";

/** A check FBR will still make on an invoice Raseed found nothing wrong with. */
export interface FbrOnlyCheck {
  rule: FbrOnlyRule;
  /** FBR's codes for a failure of this rule, where known ([] when FBR's code is unknown). */
  codes: string[];
  /** What FBR will check, about this invoice, in plain words. */
  message: string;
  /** 1-based lines the check concerns, when it is about particular lines. */
  items?: number[];
}

/** What validateDiInvoice answers: the issues, and what only FBR can still check. */
export interface DiValidationResult extends ValidationResult {
  verdict: ValidationVerdict;
  /** Empty when the verdict is "valid"; also listed (for the record) when the invoice is invalid. */
  fbrWillCheck: FbrOnlyCheck[];
}

/** Which calendar day "today" is when judging a future invoiceDate (0043). */
export type InvoiceDateClock = "pakistan" | "utc";

export interface DiValidationContext {
  /** The clock for "not after today"; defaults to the real time. */
  now?: Date;
  /**
   * "pakistan" (default): a date after today in Pakistan is 0043, and a date that is today in Pakistan but
   * still tomorrow in UTC (00:00-05:00 PKT) is allowed with an "invoice-date-utc-day" check, because
   * integrators report FBR judges the UTC day. "utc": judge as FBR is reported to, so that date is 0043.
   */
  invoiceDateClock?: InvoiceDateClock;
  /** Validate for the `_sb` endpoints: scenario rules 0203-0205 apply. */
  sandbox?: boolean;
  /** The NTN/CNIC the FBR token belongs to (0401). */
  sellerNtn?: string;
  /** Scenario ids IRIS assigned to this seller (0203). Without it, sandbox mode leaves the assignment to
   * FBR ("scenario-assigned" in fbrWillCheck). */
  assignedScenarios?: readonly string[];
  /** FBR's sales-tax register, as far as the caller knows it (0205, 0106, 0053). Without it, 0053 is left
   * to FBR ("buyer-registration" in fbrWillCheck). */
  isRegisteredBuyer?: (ntnOrCnic: string) => boolean;
  /** Looks up the original invoice of a debit note by its FBR invoice number (0057, 0029, 0034). */
  findOriginalInvoice?: (
    fbrInvoiceNumber: string,
  ) => { invoiceDate: string; totalValue?: number } | undefined;
}

export interface ImsValidationContext {
  /** The POS registration number this till was issued; POSID must equal it when given. */
  posId?: number;
}
