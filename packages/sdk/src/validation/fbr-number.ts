// The shape of a number FBR issues (FBR-SPEC §7), for checking a number a PERSON types in (reconcile): a
// number FBR itself answered with is taken as it is. Both the gateway's and the POS bridge's reconcile use it.

/**
 * DI: `<seller NTN or CNIC>DI<13-digit Unix epoch milliseconds>`, e.g. 7000007DI1747119701593 (22 characters
 * for an NTN seller, 28 for a CNIC seller) [CONFIRMED, FBR-SPEC §7].
 */
const DI_NUMBER = /^(\d{7}|\d{13})DI(\d{13})$/;

/**
 * IMS fiscal numbers are opaque, at most 30 characters (varchar(30)), and every one seen begins with at least
 * six digits: 9000052011142444901, 11000120181112000369, 194444FGQK..., and SRO 1006(I)/2021's printed
 * XXXXXX-DDMMYYHHMMSS-0001 [SPEC/INFERRED, FBR-SPEC §7]. So: six digits, then digits, capital letters or
 * dashes, 10 to 30 characters in all. "Not Available" is FBR's "no number" (a rejection), never a number.
 */
const IMS_FISCAL_NUMBER = /^\d{6}[0-9A-Z-]{4,24}$/;

export type FbrNumberProblem = { problem: string; fix: string } | undefined;

/**
 * Why `number` cannot be the FBR number of an invoice of this seller (DI) or POS sale (IMS); undefined
 * when its shape fits.
 * @example fbrNumberProblem("di", "garbage", { sellerNtnCnic: "7000007" }) // { problem: "...", fix: "..." }
 */
export function fbrNumberProblem(
  channel: "di",
  number: string,
  context: { sellerNtnCnic: string },
): FbrNumberProblem;
/** IMS numbers do not carry the seller, so a till's sale (the POS bridge) needs no seller to check one. */
export function fbrNumberProblem(
  channel: "ims",
  number: string,
  context?: { sellerNtnCnic?: string },
): FbrNumberProblem;
export function fbrNumberProblem(
  channel: "di" | "ims",
  number: string,
  context: { sellerNtnCnic: string },
): FbrNumberProblem;
export function fbrNumberProblem(
  channel: "di" | "ims",
  number: string,
  context: { sellerNtnCnic?: string } = {},
): FbrNumberProblem {
  const seller = context.sellerNtnCnic ?? "";
  if (channel === "di") {
    const match = DI_NUMBER.exec(number);
    if (match === null) {
      return {
        problem: `"${number}" is not a DI invoice number (FBR issues <seller NTN or CNIC>DI<13 digits>, e.g. ${seller}DI1747119701593)`,
        fix: "copy the invoice number exactly as IRIS shows it",
      };
    }
    if (match[1] !== seller) {
      return {
        problem: `"${number}" was issued to seller ${match[1]}, not to this invoice's seller ${seller}`,
        fix: "look the invoice up in IRIS under this seller and copy its number",
      };
    }
    return undefined;
  }
  // A DI number pasted into a till's sale fits the loose IMS shape; it is still the wrong channel's number.
  if (!IMS_FISCAL_NUMBER.test(number) || DI_NUMBER.test(number)) {
    return {
      problem: `"${number}" is not an IMS fiscal number (at most 30 characters: six digits, then digits, capital letters or dashes)`,
      fix: "copy the fiscal invoice number exactly as FBR's IMS portal or the receipt shows it",
    };
  }
  return undefined;
}
