// Renders the sample invoice documents shown in docs/documents.md (docs/documents/*.png): one A4 tax invoice
// and one 80 mm receipt of a made-up accepted DI invoice, through the same code the gateway prints with.
// Run: npx tsx scripts/render-document-samples.ts   (needs pdftoppm from poppler-utils)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toPrintable } from "../packages/gateway/src/documents/printable.ts";
import { type DocumentFormat, renderInvoicePdf } from "../packages/gateway/src/documents/render.ts";
import type { InvoiceRow, TenantRow } from "../packages/gateway/src/store/schema.ts";

const payload = {
  invoiceType: "Sale Invoice",
  invoiceDate: "2026-12-06",
  sellerNTNCNIC: "7000007",
  sellerBusinessName: "Demo Traders (Pvt) Ltd",
  sellerProvince: "Sindh",
  sellerAddress: "Plot 12, Shahrah-e-Faisal, Karachi",
  buyerNTNCNIC: "1000000000000",
  buyerBusinessName: "Lahore Wholesale Mart",
  buyerProvince: "Punjab",
  buyerAddress: "45 Main Boulevard, Gulberg III, Lahore",
  buyerRegistrationType: "Registered",
  invoiceRefNo: "INV-2026-00042",
  items: [
    {
      hsCode: "0101.2100",
      productDescription: "Cotton yarn 20s, carded",
      rate: "18%",
      uoM: "KG",
      quantity: 500,
      totalValues: 88500,
      valueSalesExcludingST: 75000,
      fixedNotifiedValueOrRetailPrice: 0,
      salesTaxApplicable: 13500,
      salesTaxWithheldAtSource: 0,
      extraTax: "",
      furtherTax: 0,
      sroScheduleNo: "",
      fedPayable: 0,
      discount: 0,
      saleType: "Goods at standard rate (default)",
      sroItemSerialNo: "",
    },
    {
      hsCode: "5208.1100",
      productDescription: "Greige fabric, plain weave, 100% cotton",
      rate: "18%",
      uoM: "Meter",
      quantity: 200,
      totalValues: 29500,
      valueSalesExcludingST: 25000,
      fixedNotifiedValueOrRetailPrice: 0,
      salesTaxApplicable: 4500,
      salesTaxWithheldAtSource: 0,
      extraTax: "",
      furtherTax: 0,
      sroScheduleNo: "",
      fedPayable: 0,
      discount: 500,
      saleType: "Goods at standard rate (default)",
      sroItemSerialNo: "",
    },
  ],
};

const row: InvoiceRow = {
  id: "inv_sample",
  tenant_id: "ten_sample",
  channel: "di",
  buyer_ntn_cnic: null,
  buyer_name: null,
  invoice_date: null,
  pos_id: null,
  usin: null,
  external_ref: "INV-2026-00042",
  request_hash: "",
  payload: JSON.stringify(payload),
  state: "accepted",
  fbr_invoice_number: "7000007DI1733475600000",
  fbr_dated: "2026-12-06 14:20:00",
  item_numbers: null,
  errors: null,
  last_reason: null,
  attempt_count: 1,
  created_at: "2026-12-06T09:20:00.000Z",
  updated_at: "2026-12-06T09:20:01.000Z",
};
const tenant = { id: "ten_sample", ntn: "7000007", name: payload.sellerBusinessName } as TenantRow;

const out = join(import.meta.dirname, "..", "docs", "documents");
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "raseed-samples-"));
try {
  for (const format of ["a4", "receipt"] as DocumentFormat[]) {
    const pdf = await renderInvoicePdf(toPrintable(row, tenant), {
      format,
      copy: "original",
      printedAt: "2026-12-06T09:25:00.000Z",
    });
    const file = join(work, `${format}.pdf`);
    writeFileSync(file, pdf);
    execFileSync("pdftoppm", [
      "-png",
      "-r",
      format === "a4" ? "80" : "110",
      "-singlefile",
      file,
      join(out, `sample-${format}`),
    ]);
    console.log(`docs/documents/sample-${format}.png`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
