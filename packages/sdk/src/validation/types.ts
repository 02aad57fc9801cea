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

export interface DiValidationContext {
  /** The clock for "not after today in Pakistan time"; defaults to the real time. */
  now?: Date;
  /** Validate for the `_sb` endpoints: scenario rules 0203-0205 apply. */
  sandbox?: boolean;
  /** The NTN/CNIC the FBR token belongs to (0401). */
  sellerNtn?: string;
  /** Scenario ids IRIS assigned to this seller (0203). */
  assignedScenarios?: readonly string[];
  /** FBR's sales-tax register, as far as the caller knows it (0205, 0106). */
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
