// The invoices the bench sends and stores: 5-line DI invoices built from the simulator's SN001 scenario for
// the demo seller, as a new user's ERP would send them.
import { scenarioPayloadForSeller } from "@raseed/simulator";

export const SELLER = { ntn: "7000007", businessName: "Demo Traders", province: "Sindh", address: "Karachi" };

/**
 * A 5-line invoice; `tag` goes into each line's description. Dated in five hours so it is never held for
 * FBR's UTC day (an invoice dated today before 05:00 PKT waits until then; spec/README.md).
 */
export function fiveLineInvoice(tag: string): Record<string, unknown> {
  const base = scenarioPayloadForSeller("SN001", SELLER) as Record<string, unknown> & {
    items: Record<string, unknown>[];
  };
  const item = base.items[0] as Record<string, unknown>;
  return {
    ...base,
    invoiceDate: new Date(Date.now() + 5 * 3_600_000).toISOString().slice(0, 10),
    items: Array.from({ length: 5 }, (_, i) => ({ ...item, productDescription: `${tag} line ${i + 1}` })),
  };
}

/** The till the POS bridge bench registers, and its IMS token (the simulator takes any token). */
export const POS_ID = 110014;
export const POS_TOKEN = "1298b5eb-b252-3d97-8622-a4a69d5bf818";

/** A one-item IMS sale as a till sends it; `usin` is its USIN (the bench passes "@@N@@", unique per request). */
export function posSale(usin: string): Record<string, unknown> {
  return {
    InvoiceNumber: "",
    POSID: POS_ID,
    USIN: usin,
    DateTime: "2024-03-15 18:42:07",
    TotalSaleValue: 1298,
    TotalTaxCharged: 220.66,
    TotalQuantity: 1,
    Discount: 0,
    FurtherTax: 0,
    TotalBillAmount: 1518.66,
    PaymentMode: 1,
    InvoiceType: 1,
    Items: [
      {
        ItemCode: "IT_1011",
        ItemName: "Test Item",
        PCTCode: "11001010",
        Quantity: 1,
        TaxRate: 17,
        SaleValue: 1298,
        Discount: 0,
        FurtherTax: 0,
        TaxCharged: 220.66,
        TotalAmount: 1518.66,
        InvoiceType: 1,
      },
    ],
  };
}
