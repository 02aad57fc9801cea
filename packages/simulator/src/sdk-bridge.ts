// The one place the simulator calls @raseed/sdk's rules, scenario samples and reference snapshot, so a
// code means the same thing here as in the gateway and the CLI.
import type { DiValidationContext, ValidationIssue, ValidationResult } from "@raseed/sdk";
import {
  docTypeRows,
  provinceRows,
  ratesForTransactionType,
  scenarioSamplePayload,
  transactionTypes,
  uomRows,
  validateDiInvoice,
  validateImsInvoice,
} from "@raseed/sdk";

export type RuleIssue = ValidationIssue;
export type RuleResult = ValidationResult;
export type DiRuleContext = DiValidationContext;

export function validateDiWithSdk(input: unknown, context: DiRuleContext): RuleResult {
  return validateDiInvoice(input, context);
}

/** POSID must be the terminal the token belongs to; the sdk checks it given `posId`. */
export function validateImsWithSdk(input: unknown, posId: string): RuleResult {
  return validateImsInvoice(input, { posId: Number(posId) });
}

export function sdkScenarioSample(id: string): Record<string, unknown> {
  return { ...scenarioSamplePayload(id) } as Record<string, unknown>;
}

export function sdkReference() {
  return { transactionTypes, ratesForTransactionType, uomRows, provinceRows, docTypeRows };
}
