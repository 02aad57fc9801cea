// Business rules: the seller/token check (0401), the sandbox scenario gate, then the sdk's own
// validation (the same codes the gateway and the CLI report). This file only decides the verdict; the
// server turns it into FBR's response shapes.
import { describeFbrError } from "@raseed/sdk";
import { checkSandboxScenario } from "./scenarios.ts";
import type { RuleIssue } from "./sdk-bridge.ts";
import { validateDiWithSdk, validateImsWithSdk } from "./sdk-bridge.ts";
import type { InvoiceStore } from "./store.ts";
import type { SimPosTerminal, SimSeller, WorldIndex } from "./world.ts";

export interface Failure {
  code: string;
  message: string;
}

export type DiVerdict =
  | { kind: "valid"; itemCount: number }
  | { kind: "unauthorised-seller"; failure: Failure }
  | { kind: "header"; failure: Failure }
  | { kind: "item"; itemCount: number; failures: Map<number, Failure> };

export interface DiRuleInput {
  invoice: Record<string, unknown>;
  sandbox: boolean;
  seller: SimSeller;
  world: WorldIndex;
  store: InvoiceStore;
  now: Date;
  /** The day a future invoiceDate is judged by (0043); "utc" unless the config says otherwise. */
  invoiceDateClock?: "utc" | "pakistan";
}

export function itemCountOf(invoice: Record<string, unknown>): number {
  return Array.isArray(invoice.items) ? invoice.items.length : 0;
}

export function evaluateDiInvoice({
  invoice,
  sandbox,
  seller,
  world,
  store,
  now,
  invoiceDateClock = "utc",
}: DiRuleInput): DiVerdict {
  const environment = sandbox ? "sandbox" : "production";
  const sellerNtn = typeof invoice.sellerNTNCNIC === "string" ? invoice.sellerNTNCNIC.trim() : "";
  if (sellerNtn !== seller.ntn) {
    // 0401 (spec v1.12 §7): "the authorized token does not exist against seller registration number".
    return {
      kind: "unauthorised-seller",
      failure: {
        code: "0401",
        message: "The provided seller NTN/CNIC does not have a valid or authorized access token",
      },
    };
  }
  if (sandbox) {
    const gate = checkSandboxScenario({
      invoice,
      assignedScenarios: seller.scenarios,
      isRegisteredBuyer: world.isRegisteredBuyer,
    });
    if (gate) return { kind: "header", failure: gate };
  }
  const result = validateDiWithSdk(invoice, {
    now,
    invoiceDateClock,
    sandbox,
    sellerNtn: seller.ntn,
    assignedScenarios: seller.scenarios,
    isRegisteredBuyer: world.isRegisteredBuyer,
    findOriginalInvoice: (number) => {
      const original = store.findDiInvoice(number, seller.ntn, environment);
      if (!original?.invoiceDate) return undefined;
      return original.totalValue === undefined
        ? { invoiceDate: original.invoiceDate }
        : { invoiceDate: original.invoiceDate, totalValue: original.totalValue };
    },
  });
  const verdict = verdictFromIssues(result.issues, itemCountOf(invoice));
  if (verdict.kind !== "valid") return verdict;
  return checkDebitNoteCaps(invoice, seller, store, environment) ?? verdict;
}

/** Σ valueSalesExcludingST and Σ salesTaxApplicable, summed in whole paisa so no float drift creeps in. */
export function invoiceTotals(
  invoice: Record<string, unknown>,
): { value: number; salesTax: number } | undefined {
  if (!Array.isArray(invoice.items)) return undefined;
  let valuePaisa = 0;
  let taxPaisa = 0;
  for (const item of invoice.items) {
    if (item === null || typeof item !== "object") return undefined;
    const value = Number((item as Record<string, unknown>).valueSalesExcludingST);
    const tax = Number((item as Record<string, unknown>).salesTaxApplicable);
    if (!Number.isFinite(value) || !Number.isFinite(tax)) return undefined;
    valuePaisa += Math.round(value * 100);
    taxPaisa += Math.round(tax * 100);
  }
  return { value: valuePaisa / 100, salesTax: taxPaisa / 100 };
}

/**
 * Debit-note value caps across every note against the same original, which only FBR's store (here: the
 * simulator's) can see: total value of sales (0036) and sales tax (0067) of all notes may not exceed the
 * original's, counting only notes in the original's environment. Both are item-level codes in the catalogue; the totals belong to no single line, so they
 * are reported on item 1.
 */
function checkDebitNoteCaps(
  invoice: Record<string, unknown>,
  seller: SimSeller,
  store: InvoiceStore,
  environment: "sandbox" | "production",
): DiVerdict | undefined {
  if (invoice.invoiceType !== "Debit Note" || typeof invoice.invoiceRefNo !== "string") return undefined;
  const original = store.findDiInvoice(invoice.invoiceRefNo, seller.ntn, environment);
  const note = invoiceTotals(invoice);
  if (!original || original.totalValue === undefined || original.totalSalesTax === undefined || !note)
    return undefined;
  let valuePaisa = Math.round(note.value * 100);
  let taxPaisa = Math.round(note.salesTax * 100);
  for (const earlier of store.debitNotesAgainst(invoice.invoiceRefNo, seller.ntn, environment)) {
    valuePaisa += Math.round((earlier.totalValue ?? 0) * 100);
    taxPaisa += Math.round((earlier.totalSalesTax ?? 0) * 100);
  }
  const itemCount = itemCountOf(invoice);
  if (valuePaisa > Math.round(original.totalValue * 100)) {
    const message =
      "Total Value of Sales of Debit Note invoice(s) is greater than Value of Sales of original invoice.";
    return { kind: "item", itemCount, failures: new Map([[1, { code: "0036", message }]]) };
  }
  if (taxPaisa > Math.round(original.totalSalesTax * 100)) {
    const message = "Sales Tax of Debit Note invoice is greater than Sales Tax of original invoice.";
    return { kind: "item", itemCount, failures: new Map([[1, { code: "0067", message }]]) };
  }
  return undefined;
}

/**
 * FBR stops at the first header problem (one errorCode, invoiceStatuses null); otherwise each failing
 * item carries its first problem. An issue without an item number cannot sit on an item, so it counts
 * as header-level whatever its label says.
 */
export function verdictFromIssues(issues: readonly RuleIssue[], itemCount: number): DiVerdict {
  const header = issues.find((issue) => issue.level === "header" || !isItemNumber(issue.item, itemCount));
  if (header) return { kind: "header", failure: { code: header.code, message: fbrErrorText(header) } };
  const failures = new Map<number, Failure>();
  for (const issue of issues) {
    if (issue.item !== undefined && !failures.has(issue.item)) {
      failures.set(issue.item, { code: issue.code, message: fbrErrorText(issue) });
    }
  }
  if (failures.size > 0) return { kind: "item", itemCount, failures };
  return { kind: "valid", itemCount };
}

/**
 * The `error` text FBR itself sends for a code: the observed runtime wording where there is one,
 * else the spec's MESSAGE_DESC ("Provide rate." for 0046, as the spec sample shows). The sdk's own
 * explanation is used only for codes FBR has no usable text for (unknown codes, "{0}" templates).
 */
export function fbrErrorText(issue: Pick<RuleIssue, "code" | "message">): string {
  const described = describeFbrError(issue.code);
  // A runtime text recorded as "(paraphrased) ..." is an integrator's summary, not FBR's words.
  const runtime = described?.runtimeMessage?.startsWith("(") === true ? undefined : described?.runtimeMessage;
  const text = runtime ?? described?.message;
  return text && !text.includes("{0}") ? text : issue.message;
}

function isItemNumber(item: number | undefined, itemCount: number): item is number {
  return item !== undefined && Number.isInteger(item) && item >= 1 && item <= itemCount;
}

export type ImsVerdict =
  | { kind: "valid" }
  | { kind: "invalid"; errors: { Code: string; Field: string; Message: string }[] };

export function evaluateImsInvoice(invoice: Record<string, unknown>, terminal: SimPosTerminal): ImsVerdict {
  const issues = validateImsWithSdk(invoice, terminal.posId).issues;
  if (issues.length === 0) return { kind: "valid" };
  return {
    kind: "invalid",
    errors: issues.map((issue) => ({
      Code: issue.code,
      Field: issue.path || issue.field,
      Message: issue.message,
    })),
  };
}
