// The stored invoice as a person reads it: parties, lines and totals from the FBR payload, FBR's errors with
// the catalogue's meaning and fix. Pure: no I/O.
import { type DiInvoice, describeFbrError, type FbrErrorDescription, TaxDecimal } from "@raseed/sdk";
import type { InvoiceRow } from "../store/schema.ts";

export interface InvoiceTotals {
  valueExcludingTax: string;
  salesTax: string;
  otherTaxes: string;
  total: string;
}

function sum(values: readonly unknown[]): InstanceType<typeof TaxDecimal> {
  let total = new TaxDecimal(0);
  for (const value of values) {
    if (
      typeof value === "number" ||
      (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
    )
      total = total.plus(value);
  }
  return total;
}

/** Sums in decimals (never floats), as FBR adds up a line: value + sales tax + further + extra + FED. */
export function invoiceTotals(invoice: Pick<DiInvoice, "items">): InvoiceTotals {
  const items = Array.isArray(invoice.items) ? invoice.items : [];
  const value = sum(items.map((i) => i.valueSalesExcludingST));
  const salesTax = sum(items.map((i) => i.salesTaxApplicable));
  const other = sum(items.flatMap((i) => [i.furtherTax, i.extraTax, i.fedPayable]));
  return {
    valueExcludingTax: value.toFixed(2),
    salesTax: salesTax.toFixed(2),
    otherTaxes: other.toFixed(2),
    total: value.plus(salesTax).plus(other).toFixed(2),
  };
}

export interface ExplainedError {
  code: string;
  message: string;
  /** 1-based line number for an item error. */
  line: number | null;
  description: FbrErrorDescription | null;
}

/** FBR's stored errors (header and item) with the catalogue's meaning and fix for each code. */
export function explainErrors(row: Pick<InvoiceRow, "errors">): ExplainedError[] {
  if (row.errors === null) return [];
  const errors = JSON.parse(row.errors) as Record<string, unknown>[];
  return errors.map((error) => {
    const code = String(error.code ?? error.errorCode ?? "");
    const item = error.itemSNo ?? error.item ?? error.itemIndex;
    return {
      code,
      message: String(error.message ?? error.error ?? ""),
      line: item === undefined || item === null || item === "" ? null : Number(item),
      description: describeFbrError(code) ?? null,
    };
  });
}

export function parsePayload(row: Pick<InvoiceRow, "payload">): DiInvoice {
  return JSON.parse(row.payload) as DiInvoice;
}
