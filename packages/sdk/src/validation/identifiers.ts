// FBR identifier formats (spec §7), as plain predicates the validators and callers share.

const NTN = /^\d{7}$/;
// The 9-character form is the 7-digit NTN with its check digit: 1234567-8 (IRIS template; 0002 "7 or 9 digits").
const NTN_WITH_CHECK_DIGIT = /^\d{7}-\d$/;
const CNIC = /^\d{13}$/;
const STRN = /^\d{13}$/;
const HS_CODE = /^\d{4}\.\d{4}$/;
const PCT_CODE = /^\d{1,8}$/;

/** A 7-digit NTN; with `allowCheckDigit`, also the `1234567-8` form buyers may be given in. */
export function isValidNtn(text: string, options: { allowCheckDigit?: boolean } = {}): boolean {
  return NTN.test(text) || (options.allowCheckDigit === true && NTN_WITH_CHECK_DIGIT.test(text));
}

/** A CNIC as the API wants it: 13 digits, no dashes (printed 12345-1234567-8). */
export function isValidCnic(text: string): boolean {
  return CNIC.test(text);
}

/** A sales tax registration number: 13 digits, no dashes (printed 32-77-8761-758-52). DI payloads carry none. */
export function isValidStrn(text: string): boolean {
  return STRN.test(text);
}

/** A DI HS code: NNNN.NNNN (e.g. 0101.2100). 0000.0000 is FBR's "empty" (0044) and is refused. */
export function isValidHsCode(text: string): boolean {
  return HS_CODE.test(text) && text !== "0000.0000";
}

/** An IMS PCT code: up to 8 digits, no dot (e.g. 01012100). */
export function isValidPctCode(text: string): boolean {
  return PCT_CODE.test(text);
}
