// The local contract of FBR's Windows IMS fiscal component (FBR-SPEC §11): the replies a till gets, and the
// problems in them. Reading a till's request is the sdk's `checkImsInvoice` (the one IMS normalisation, shared
// with the gateway, the simulator and the CLI). No I/O here; the server, journal and uploader build on it.
import { canonicalJson, type ImsInvoice, type ValidationIssue } from "@raseed/sdk";

/**
 * Reply codes the bridge answers with. FBR publishes no IMS catalogue (FBR-SPEC §11 "Error catalogue: not
 * published"), so only 100 and 102 are FBR's own (observed); the rest are Raseed's and documented in
 * docs/pos-bridge.md. A POS written for FBR's component treats anything but "100" as "no fiscal number".
 */
export const BRIDGE_REPLY_CODES = {
  /** FBR's success code (component sample). */
  success: "100",
  /** FBR's "Invalid data received" (observed); Raseed adds every problem in `Errors`. */
  invalidData: "102",
  /** Raseed: the request could not be read at all (malformed JSON, body too large, not an object). */
  unreadableRequest: "103",
  /** Raseed: no such resource or wrong HTTP method (FBR's cloud says "No matching resource found"). */
  noSuchResource: "104",
  /** Raseed: the bridge itself failed; the sale was not recorded, the POS may retry the same USIN. */
  bridgeFailure: "105",
  /** Raseed: `GetInvoiceNumberByUSIN` found no sale with that USIN. */
  unknownSale: "106",
  /**
   * Raseed: issued offline, pending FBR. The sale is journaled and will be uploaded in the background;
   * 150 echoes Rule 150XC (SRO 69(I)/2025), which has offline invoices marked "issued offline".
   */
  provisional: "150",
  /**
   * Raseed: this POSID already has a different sale (items, totals, buyer, type or RefUSIN) under the USIN.
   * USIN is the sale's identity, so the new sale is neither uploaded nor given the old sale's number.
   */
  usinConflict: "107",
} as const;

export type BridgeReplyCode = (typeof BRIDGE_REPLY_CODES)[keyof typeof BRIDGE_REPLY_CODES];

/** FBR's component's exact success text (FBR-SPEC §11 "Component success"). */
export const SUCCESS_RESPONSE_TEXT = "Fiscal Invoice Number generated successfully.";
/** The printable line a provisional reply and a provisional receipt carry. */
export const PROVISIONAL_RESPONSE_TEXT = "Issued offline, pending FBR";
/** What FBR's component puts in InvoiceNumber when it has no number (FBR-SPEC §11 rejection observed). */
export const NOT_AVAILABLE = "Not Available";
export const HEALTH_REPLY = ["Service is responding"] as const;

/** One problem in a request, as listed in a reply's `Errors`. */
export interface BridgeProblem {
  Code: string;
  /** FBR field name, e.g. "TaxRate". */
  Field: string;
  /** Where in the body, e.g. "Items[1].TaxRate" (0-based index, as the POS's array). */
  Path: string;
  /** 1-based item number, or null for header problems. */
  Item: number | null;
  Message: string;
  Fix?: string;
}

/** The reply body of `GetInvoiceNumberByModel`. Success is exactly FBR's four keys, in FBR's order. */
export interface BridgeReply {
  InvoiceNumber: string;
  Code: string;
  Response: string;
  Errors: BridgeProblem[] | null;
  /** Only on provisional replies: the sale's USIN and the fact it is provisional. */
  USIN?: string;
  Provisional?: true;
}

export function successReply(fbrInvoiceNumber: string): BridgeReply {
  return {
    InvoiceNumber: fbrInvoiceNumber,
    Code: BRIDGE_REPLY_CODES.success,
    Response: SUCCESS_RESPONSE_TEXT,
    Errors: null,
  };
}

export function provisionalReply(usin: string): BridgeReply {
  return {
    InvoiceNumber: NOT_AVAILABLE,
    Code: BRIDGE_REPLY_CODES.provisional,
    Response: PROVISIONAL_RESPONSE_TEXT,
    Errors: null,
    USIN: usin,
    Provisional: true,
  };
}

export function invalidDataReply(problems: BridgeProblem[]): BridgeReply {
  return {
    InvoiceNumber: NOT_AVAILABLE,
    Code: BRIDGE_REPLY_CODES.invalidData,
    Response: "Invalid data received",
    Errors: problems,
  };
}

export function errorReply(
  code: BridgeReplyCode | string,
  response: string,
  problems: BridgeProblem[],
): BridgeReply {
  return { InvoiceNumber: NOT_AVAILABLE, Code: code, Response: response, Errors: problems };
}

/** Converts the sdk's validation issues to reply problems (the sdk's `path` uses FBR's casing already). */
export function problemsFromValidationIssues(issues: readonly ValidationIssue[]): BridgeProblem[] {
  return issues.map((issue) => {
    const problem: BridgeProblem = {
      Code: issue.code,
      Field: issue.field,
      Path: issue.path,
      Item: issue.item ?? null,
      Message: issue.message,
    };
    if (issue.fix !== "") problem.Fix = issue.fix;
    return problem;
  });
}

/**
 * Whether two journaled payloads are the same sale: everything but DateTime (a POS may re-render the time
 * when it retries) and InvoiceNumber (FBR's to fill). Both are `encodeImsInvoice` output, so formatting
 * (string numbers, casing, date forms) is already normalised away.
 */
export function sameSaleSubstance(storedPayload: string, newPayload: string): boolean {
  const substance = (payload: string): string => {
    const {
      DateTime: _time,
      InvoiceNumber: _number,
      ...rest
    } = JSON.parse(payload) as Record<string, unknown>;
    return canonicalJson(rest);
  };
  return substance(storedPayload) === substance(newPayload);
}

/** The exact bytes uploaded for a sale; stored in the journal so every re-upload sends the same payload. */
export function encodeImsInvoice(invoice: ImsInvoice): string {
  return JSON.stringify(invoice);
}
