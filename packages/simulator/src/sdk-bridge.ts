// The one place the simulator touches @raseed/sdk's rule and catalogue functions. The names and shapes
// are the sdk contract (validation/, scenarios/, reference/); the simulator's sandbox gate and response
// shapes are its own.
import * as sdk from "@raseed/sdk";

export interface RuleIssue {
  code: string;
  level: "header" | "item";
  field: string;
  path: string;
  item?: number;
  message: string;
}

export interface RuleResult {
  valid: boolean;
  issues: RuleIssue[];
}

export interface DiRuleContext {
  now?: Date;
  sandbox?: boolean;
  sellerNtn?: string;
  assignedScenarios?: readonly string[];
  isRegisteredBuyer?: (ntnOrCnic: string) => boolean;
  findOriginalInvoice?: (
    fbrInvoiceNumber: string,
  ) => { invoiceDate: string; totalValue?: number } | undefined;
}

interface SdkRuleSurface {
  validateDiInvoice(input: unknown, context?: DiRuleContext): RuleResult;
  validateImsInvoice(input: unknown, context?: Record<string, unknown>): RuleResult;
  scenarioSamplePayload(id: string): Record<string, unknown>;
}

const surface = sdk as unknown as Partial<SdkRuleSurface>;

/** True once the sdk's validation area exports its rule functions. */
export function sdkRulesAvailable(): boolean {
  return typeof surface.validateDiInvoice === "function" && typeof surface.validateImsInvoice === "function";
}

export function validateDiWithSdk(input: unknown, context: DiRuleContext): RuleResult | undefined {
  return surface.validateDiInvoice ? surface.validateDiInvoice(input, context) : undefined;
}

export function validateImsWithSdk(input: unknown): RuleResult | undefined {
  return surface.validateImsInvoice ? surface.validateImsInvoice(input, {}) : undefined;
}

export function sdkScenarioSample(id: string): Record<string, unknown> | undefined {
  return surface.scenarioSamplePayload ? surface.scenarioSamplePayload(id) : undefined;
}

interface SdkReferenceSurface {
  transactionTypes(): readonly { transactioN_TYPE_ID: number; transactioN_DESC: string }[];
  ratesForTransactionType(id: number): readonly { ratE_ID: number; ratE_DESC: string; ratE_VALUE: number }[];
  uomRows(): readonly { uoM_ID: number; description: string }[];
  provinceRows(): readonly { stateProvinceCode: number; stateProvinceDesc: string }[];
  docTypeRows(): readonly { docTypeId: number; docDescription: string }[];
}

/** The sdk's offline reference snapshot, once its reference/ area exports it. */
export function sdkReference(): SdkReferenceSurface | undefined {
  const reference = sdk as unknown as Partial<SdkReferenceSurface>;
  if (
    typeof reference.transactionTypes === "function" &&
    typeof reference.ratesForTransactionType === "function" &&
    typeof reference.uomRows === "function" &&
    typeof reference.provinceRows === "function" &&
    typeof reference.docTypeRows === "function"
  ) {
    return reference as SdkReferenceSurface;
  }
  return undefined;
}
