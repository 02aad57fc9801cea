// Validation that answers with FBR's own error codes (docs/errors.md), every problem in one pass.
export { validateDiInvoice } from "./di.ts";
export { isValidCnic, isValidHsCode, isValidNtn, isValidPctCode, isValidStrn } from "./identifiers.ts";
export { validateImsInvoice } from "./ims.ts";
export {
  checkImsInvoice,
  type ImsCheck,
  type ImsInputOptions,
  type ImsNormalisation,
  normaliseImsDateTime,
  normaliseImsInvoice,
} from "./ims-input.ts";
export type {
  DiValidationContext,
  ImsValidationContext,
  ValidationIssue,
  ValidationResult,
} from "./types.ts";
