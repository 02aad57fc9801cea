import { fbrErrorDocsUrl, RaseedError, SDK_ERRORS_DOCS } from "../errors/classes.ts";

/**
 * A draft that cannot become a payload FBR would accept: a missing field, a number that is not money, a rate
 * outside FBR's vocabulary, or a rule FBR enforces with a known code. `path` names the draft field
 * ("lines[2].quantity"); `fbrCode` is the code FBR would answer with, when there is one.
 */
export class InvoiceDraftError extends RaseedError {
  declare readonly code: "invoice_draft";
  readonly path: string;
  readonly fbrCode: string | undefined;

  constructor(path: string, message: string, fbrCode?: string) {
    super(
      "invoice_draft",
      fbrCode === undefined ? `${path}: ${message}` : `${path}: ${message} (FBR ${fbrCode})`,
      // A draft refused with FBR's own code links to that code's row in the generated reference.
      { docsUrl: fbrCode === undefined ? SDK_ERRORS_DOCS : fbrErrorDocsUrl(fbrCode) },
    );
    this.path = path;
    this.fbrCode = fbrCode;
  }

  /** A plain object for logs and HTTP error envelopes (a draft holds no secrets). */
  override toJSON(): Record<string, unknown> {
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
export class InvalidHsCodeError extends RaseedError {
  declare readonly code: "invalid_hs_code";
  constructor(readonly hsCode: string) {
    super(
      "invalid_hs_code",
      `HS code ${JSON.stringify(hsCode)} is not in FBR's NNNN.NNNN form (e.g. "0101.2100") nor an 8-digit PCT code`,
      { details: { hsCode }, docsUrl: SDK_ERRORS_DOCS },
    );
  }
}
