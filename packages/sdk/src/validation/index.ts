// Validation that answers with FBR's own error codes (docs/errors.md), every problem in one pass.
export { validateDiInvoice, verdictOf } from "./di.ts";
export { fbrJudgementDay, fbrPostNotBefore } from "./fbr-day.ts";
export { type FbrNumberProblem, fbrNumberProblem } from "./fbr-number.ts";
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
  DiValidationResult,
  FbrOnlyCheck,
  FbrOnlyRule,
  ImsValidationContext,
  InvoiceDateClock,
  ValidationIssue,
  ValidationResult,
  ValidationVerdict,
} from "./types.ts";
