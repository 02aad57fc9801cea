// IMS sales for the gateway's tests: FBR's KB model (FBR-SPEC §11) with a USIN of their own.
import { randomBytes } from "node:crypto";

/** The simulator's demo POS terminal (its DEMO_WORLD). */
export const DEMO_POS = 110014;
export const DEMO_IMS_TOKEN = "1298b5eb-b252-3d97-8622-a4a69d5bf818";

/** FBR's KB model (FBR-SPEC §11) with its own USIN. */
export function imsSale(usin: string, posId = DEMO_POS, overrides: Record<string, unknown> = {}) {
  return {
    InvoiceNumber: "",
    POSID: posId,
    USIN: usin,
    DateTime: "2020-01-01 12:00:00",
    BuyerNTN: "1234567-8",
    BuyerName: "Buyer Name",
    BuyerPhoneNumber: "0000-0000000",
    TotalBillAmount: 1519,
    TotalQuantity: 1,
    TotalSaleValue: 1298,
    TotalTaxCharged: 221,
    Discount: 380,
    FurtherTax: 0,
    PaymentMode: 1,
    RefUSIN: null,
    InvoiceType: 1,
    Items: [
      {
        ItemCode: "IT_1011",
        ItemName: "Test Item",
        Quantity: 1,
        PCTCode: "11001010",
        TaxRate: 17,
        SaleValue: 1298,
        TotalAmount: 1519,
        TaxCharged: 221,
        Discount: 380,
        FurtherTax: 0,
        InvoiceType: 1,
        RefUSIN: null,
      },
    ],
    ...overrides,
  };
}

export function newUsin(): string {
  return `U${randomBytes(5).toString("hex")}`;
}
