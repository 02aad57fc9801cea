// The one place the simulator calls @raseed/sdk's rules, scenario samples and reference snapshot, so a
// code means the same thing here as in the gateway and the CLI.
import type { DiValidationContext, ValidationIssue, ValidationResult } from "@raseed/sdk";
import {
  checkImsInvoice,
  docTypeRows,
  provinceRows,
  ratesForTransactionType,
  scenarioSamplePayload,
  transactionTypes,
  uomRows,
  validateDiInvoice,
} from "@raseed/sdk";

export type RuleIssue = ValidationIssue;
export type RuleResult = ValidationResult;
export type DiRuleContext = DiValidationContext;

export function validateDiWithSdk(input: unknown, context: DiRuleContext): RuleResult {
  return validateDiInvoice(input, context);
}

/**
 * The sdk's one IMS normalisation and rules, as the gateway, the bridge and the CLI run them: FBR's own
 * documented samples (dashed BuyerCNIC, ISO DateTime) pass. POSID must be the terminal the token belongs to.
 */
export function validateImsWithSdk(input: unknown, posId: string): RuleResult {
  return checkImsInvoice(input, { posId: Number(posId) });
}

export function sdkScenarioSample(id: string): Record<string, unknown> {
  return { ...scenarioSamplePayload(id) } as Record<string, unknown>;
}

export function sdkReference() {
  return { transactionTypes, ratesForTransactionType, uomRows, provinceRows, docTypeRows };
}
