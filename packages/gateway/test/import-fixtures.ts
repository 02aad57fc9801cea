// Spreadsheet rows for the import tests (CLI, ImportJobs, the dashboard's /import page): FBR's own field names
// as headers and one SN002 line (unregistered buyer, 18%) per row, dated FBR's today.
import { fbrToday } from "./harness.ts";

export const FBR_HEADER = [
  "invoiceRefNo",
  "invoiceDate",
  "buyerNTNCNIC",
  "buyerBusinessName",
  "buyerProvince",
  "buyerAddress",
  "buyerRegistrationType",
  "scenarioId",
  "hsCode",
  "productDescription",
  "rate",
  "uoM",
  "quantity",
  "valueSalesExcludingST",
  "salesTaxApplicable",
  "saleType",
];

/** One SN002 line as FBR's fields; a malformed `hsCode` ("12") draws FBR's code for it. */
export function fbrRow(reference: string, description: string, value = 1000, hsCode = "0101.2100"): string[] {
  return [
    reference,
    fbrToday(),
    "1000000000000",
    "Walk-in customer",
    "Sindh",
    "Karachi",
    "Unregistered",
    "SN002",
    hsCode,
    description,
    "18%",
    "Numbers, pieces, units",
    "2",
    String(value),
    String((value * 18) / 100),
    "Goods at standard rate (default)",
  ];
}

/** Rows as CSV text, quoting the cells that need it. */
export function csvText(rows: string[][]): string {
  const cell = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return `${rows.map((row) => row.map(cell).join(",")).join("\n")}\n`;
}
