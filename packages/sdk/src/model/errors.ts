/**
 * A draft that cannot become a payload FBR would accept: a missing field, a number that is not money, a rate
 * outside FBR's vocabulary, or a rule FBR enforces with a known code. `path` names the draft field
 * ("lines[2].quantity"); `fbrCode` is the code FBR would answer with, when there is one.
 */
export class InvoiceDraftError extends Error {
  override readonly name = "InvoiceDraftError";
  readonly code = "RASEED_INVOICE_DRAFT";
  readonly path: string;
  readonly fbrCode: string | undefined;

  constructor(path: string, message: string, fbrCode?: string) {
    super(fbrCode === undefined ? `${path}: ${message}` : `${path}: ${message} (FBR ${fbrCode})`);
    this.path = path;
    this.fbrCode = fbrCode;
  }
}

/** An HS code that cannot be turned into an 8-digit PCT code. */
export class InvalidHsCodeError extends Error {
  override readonly name = "InvalidHsCodeError";
  readonly code = "RASEED_INVALID_HS_CODE";
  constructor(readonly hsCode: string) {
    super(
      `HS code ${JSON.stringify(hsCode)} is not in FBR's NNNN.NNNN form (e.g. "0101.2100") nor an 8-digit PCT code`,
    );
  }
}
