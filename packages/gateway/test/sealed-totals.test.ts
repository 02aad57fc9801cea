// A seal signs three of the printed totals (records/seals.ts). The worker computes them with `sealedTotals`
// instead of building the whole printable view; they must be exactly what `toPrintable` prints, for every
// sandbox scenario's DI sample (reduced-rate lines with extraTax "", further tax, FED, discounts) and for
// IMS sales (whose payable is FBR's TotalBillAmount).
import { scenarioCatalogue, scenarioSamplePayload } from "@raseed/sdk";
import { describe, expect, it } from "vitest";
import { sealedTotals, toPrintable } from "../src/documents/printable.ts";
import type { InvoiceRow, TenantRow } from "../src/store/schema.ts";
import { imsSale } from "./ims-fixtures.ts";

function row(channel: "di" | "ims", payload: unknown): InvoiceRow {
  return {
    id: "inv_totals",
    tenant_id: "ten_totals",
    channel,
    pos_id: channel === "ims" ? 110014 : null,
    usin: null,
    external_ref: null,
    buyer_ntn_cnic: null,
    buyer_name: null,
    invoice_date: null,
    request_hash: "",
    payload: JSON.stringify(payload),
    state: "accepted",
    fbr_invoice_number: null,
    fbr_number_source: null,
    fbr_dated: null,
    item_numbers: null,
    errors: null,
    last_reason: null,
    attempt_count: 1,
    created_at: "2026-12-07T00:00:00.000Z",
    updated_at: "2026-12-07T00:00:00.000Z",
  } as InvoiceRow;
}

const tenant = {
  id: "ten_totals",
  name: "Seller",
  ntn: "1234567",
  province: "Sindh",
  address: "Karachi",
  ims_authority: "fbr",
} as TenantRow;

function expectSameTotals(invoice: InvoiceRow): void {
  const printed = toPrintable(invoice, tenant).totals;
  const sealed = sealedTotals(invoice);
  for (const name of ["payable", "salesTax", "valueExcludingTax"] as const) {
    expect(sealed[name].toFixed(2), name).toBe(printed[name].toFixed(2));
    expect(sealed[name].equals(printed[name]), name).toBe(true);
  }
}

describe("sealedTotals", () => {
  it.each(scenarioCatalogue.map((scenario) => scenario.id))("%s: the DI totals toPrintable prints", (id) => {
    expectSameTotals(row("di", scenarioSamplePayload(id)));
  });

  it("an IMS sale of several items: the totals toPrintable prints, payable being TotalBillAmount", () => {
    const sale = imsSale("U-totals", 110014, {
      TotalBillAmount: 2843.456,
      Items: [
        {
          ItemCode: "A",
          ItemName: "A",
          Quantity: 1,
          PCTCode: "11001010",
          TaxRate: 17,
          SaleValue: 1298.005,
          TotalAmount: 1519,
          TaxCharged: 220.665,
          Discount: 0,
          FurtherTax: 0,
          InvoiceType: 1,
          RefUSIN: null,
        },
        {
          ItemCode: "B",
          ItemName: "B",
          Quantity: 2,
          PCTCode: "11001010",
          TaxRate: 17,
          SaleValue: 1132.1,
          TotalAmount: 1324.46,
          TaxCharged: 192.36,
          Discount: 10,
          FurtherTax: 0,
          InvoiceType: 1,
          RefUSIN: null,
        },
      ],
    });
    const invoice = row("ims", sale);
    expectSameTotals(invoice);
    expect(sealedTotals(invoice).payable.toFixed(2)).toBe("2843.46");
  });
});
