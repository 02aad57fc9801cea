// The hand-made invoice form (/issue): reading the posted fields into Raseed's draft, the pickers' choices
// from FBR's reference data, and FBR's codes placed beside the field they concern. Pure: no I/O.
import {
  type DiInvoiceDraft,
  type DiLineDraft,
  provinceRows,
  ratesForTransactionType,
  scenarioCatalogue,
  scenarioSamplePayload,
  transactionTypes,
  uomRows,
  type ValidationIssue,
} from "@raseed/sdk";
import type { TenantRow } from "../store/schema.ts";

export const MAX_LINES = 50;

export interface IssueLine {
  hsCode: string;
  description: string;
  uoM: string;
  saleType: string;
  rate: string;
  quantity: string;
  unitPrice: string;
  discount: string;
  retailPrice: string;
}

export interface IssueForm {
  externalRef: string;
  date: string;
  scenarioId: string;
  buyerNtnCnic: string;
  buyerName: string;
  buyerProvince: string;
  buyerAddress: string;
  buyerRegistrationType: string;
  lines: IssueLine[];
}

const lineFields = [
  "hsCode",
  "description",
  "uoM",
  "saleType",
  "rate",
  "quantity",
  "unitPrice",
  "discount",
  "retailPrice",
] as const;

function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === "string" ? value.trim().slice(0, 500) : "";
}

export function emptyLine(): IssueLine {
  return {
    hsCode: "",
    description: "",
    uoM: "",
    saleType: "Goods at standard rate (default)",
    rate: "18%",
    quantity: "1",
    unitPrice: "",
    discount: "",
    retailPrice: "",
  };
}

/** The posted form (`l0.hsCode`, `l1.rate`, ...) as typed; nothing is judged here. */
export function readIssueForm(body: Record<string, unknown>): IssueForm {
  const count = Math.min(Math.max(Number.parseInt(text(body, "lineCount"), 10) || 1, 1), MAX_LINES);
  const lines: IssueLine[] = [];
  for (let i = 0; i < count; i++) {
    const line = emptyLine();
    for (const field of lineFields) line[field] = text(body, `l${i}.${field}`);
    lines.push(line);
  }
  return {
    externalRef: text(body, "externalRef"),
    date: text(body, "date"),
    scenarioId: text(body, "scenarioId"),
    buyerNtnCnic: text(body, "buyerNtnCnic"),
    buyerName: text(body, "buyerName"),
    buyerProvince: text(body, "buyerProvince"),
    buyerAddress: text(body, "buyerAddress"),
    buyerRegistrationType: text(body, "buyerRegistrationType"),
    lines,
  };
}

/** Raseed's draft for the form; the seller is the person's tenant (buildSubmittedInvoice fills it in). */
export function draftOf(
  form: IssueForm,
  tenant: Pick<TenantRow, "environment">,
): Omit<DiInvoiceDraft, "seller"> {
  const lines: DiLineDraft[] = form.lines.map((line) => ({
    hsCode: line.hsCode,
    description: line.description,
    uoM: line.uoM,
    saleType: line.saleType,
    rate: line.rate,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    ...(line.discount !== "" ? { discount: line.discount } : {}),
    ...(line.retailPrice !== "" ? { retailPrice: line.retailPrice } : {}),
  }));
  return {
    buyer: {
      ntnCnic: form.buyerNtnCnic.replace(/[-\s]/g, ""),
      businessName: form.buyerName,
      province: form.buyerProvince,
      address: form.buyerAddress,
      registrationType: form.buyerRegistrationType as "Registered" | "Unregistered",
    },
    invoiceType: "Sale Invoice",
    date: form.date,
    // FBR's sandbox requires a scenario; production refuses one (spec §9).
    ...(tenant.environment === "sandbox" && form.scenarioId !== "" ? { scenarioId: form.scenarioId } : {}),
    lines,
  };
}

/** FBR payload field (or draft path) → the form input it concerns. */
const headerInputs: Record<string, string> = {
  buyerNTNCNIC: "buyerNtnCnic",
  buyerBusinessName: "buyerName",
  buyerProvince: "buyerProvince",
  buyerAddress: "buyerAddress",
  buyerRegistrationType: "buyerRegistrationType",
  invoiceDate: "date",
  scenarioId: "scenarioId",
  "buyer.ntnCnic": "buyerNtnCnic",
  "buyer.businessName": "buyerName",
  "buyer.province": "buyerProvince",
  "buyer.address": "buyerAddress",
  "buyer.registrationType": "buyerRegistrationType",
  date: "date",
};
const itemInputs: Record<string, string> = {
  hsCode: "hsCode",
  productDescription: "description",
  description: "description",
  uoM: "uoM",
  quantity: "quantity",
  rate: "rate",
  saleType: "saleType",
  valueSalesExcludingST: "unitPrice",
  unitPrice: "unitPrice",
  discount: "discount",
  retailPrice: "retailPrice",
  fixedNotifiedValueOrRetailPrice: "retailPrice",
  salesTaxApplicable: "rate",
};

/** Issues keyed by the input they concern (`buyerName`, `l0.rate`); the rest under "". */
export function issuesByInput(issues: readonly ValidationIssue[]): Map<string, ValidationIssue[]> {
  const out = new Map<string, ValidationIssue[]>();
  for (const issue of issues) {
    const path = issue.path.replace(/^draft\./, "");
    const line = /^(?:lines|items)\[(\d+)\]\.(\w+)/.exec(path);
    let key = "";
    if (line?.[1] !== undefined && line[2] !== undefined) {
      const input = itemInputs[line[2]];
      key = input === undefined ? "" : `l${line[1]}.${input}`;
    } else if (issue.item !== undefined && itemInputs[issue.field] !== undefined) {
      key = `l${issue.item - 1}.${itemInputs[issue.field]}`;
    } else {
      key = headerInputs[path] ?? headerInputs[issue.field] ?? "";
    }
    out.set(key, [...(out.get(key) ?? []), issue]);
  }
  return out;
}

export interface IssuePickers {
  provinces: string[];
  uoms: string[];
  saleTypes: string[];
  /** Valid rates per sale type (SaleTypeToRate), so a line offers only valid combinations. */
  ratesFor: (saleType: string) => string[];
  hsSuggestions: { code: string; label: string }[];
  scenarios: { id: string; description: string }[];
}

let pickers: IssuePickers | undefined;

/** The reference tables behind the form's pickers (the sdk's offline snapshot of FBR's reference APIs). */
export function issuePickers(): IssuePickers {
  if (pickers !== undefined) return pickers;
  const types = transactionTypes();
  const idOf = new Map(types.map((t) => [t.transactioN_DESC.trim(), t.transactioN_TYPE_ID]));
  const hs = new Map<string, string>();
  for (const scenario of scenarioCatalogue) {
    for (const item of scenarioSamplePayload(scenario.id).items) {
      if (!hs.has(item.hsCode)) hs.set(item.hsCode, item.productDescription);
    }
  }
  pickers = {
    provinces: provinceRows().map((p) => p.stateProvinceDesc),
    uoms: uomRows().map((u) => u.description),
    saleTypes: [...idOf.keys()],
    ratesFor: (saleType) => {
      const id = idOf.get(saleType.trim());
      return id === undefined ? [] : ratesForTransactionType(id).map((r) => r.ratE_DESC);
    },
    hsSuggestions: [...hs.entries()]
      .map(([code, label]) => ({ code, label }))
      .sort((a, b) => a.code.localeCompare(b.code)),
    scenarios: scenarioCatalogue.map((s) => ({ id: s.id, description: s.description })),
  };
  return pickers;
}
