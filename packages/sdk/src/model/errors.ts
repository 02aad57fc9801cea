/**
 * A draft that cannot become a payload FBR would accept: a missing field, a number that is not money, a rate
 * outside FBR's vocabulary, or a rule FBR enforces with a known code. `path` names the draft field
 * ("lines[2].quantity"); `fbrCode` is the code FBR would answer with, when there is one.
 */
export class InvoiceDraftError extends Error {
  override readonly name = "InvoiceDraftError";
  readonly code = "invoice_draft";
  readonly path: string;
  readonly fbrCode: string | undefined;

  constructor(path: string, message: string, fbrCode?: string) {
    super(fbrCode === undefined ? `${path}: ${message}` : `${path}: ${message} (FBR ${fbrCode})`);
    this.path = path;
    this.fbrCode = fbrCode;
  }

  /** A plain object for logs and HTTP error envelopes (a draft holds no secrets). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      path: this.path,
      ...(this.fbrCode !== undefined ? { fbrCode: this.fbrCode } : {}),
    };
  }
}

/** An HS code that cannot be turned into an 8-digit PCT code. */
export class InvalidHsCodeError extends Error {
  override readonly name = "InvalidHsCodeError";
  readonly code = "invalid_hs_code";
  constructor(readonly hsCode: string) {
    super(
      `HS code ${JSON.stringify(hsCode)} is not in FBR's NNNN.NNNN form (e.g. "0101.2100") nor an 8-digit PCT code`,
    );
  }
}
