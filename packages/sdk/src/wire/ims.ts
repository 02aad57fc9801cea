// IMS (Tier-1 POS fiscal component / cloud PostData) wire shapes: PascalCase, as FBR spells them (FBR-SPEC §11).
import { z } from "zod";
import {
  arrayError,
  lenientInteger,
  lenientNumber,
  lenientString,
  lenientStringOrEmpty,
  nullKeysAsAbsent,
  objectError,
} from "./lenient.ts";

/** One line of an IMS invoice. */
export interface ImsItem {
  ItemCode: string;
  ItemName: string;
  /** Pakistan Customs Tariff code: up to 8 digits, no dot ("01011000"). */
  PCTCode: string;
  Quantity: number;
  /** A percent number: 17 means 17%. */
  TaxRate: number;
  /** Value the tax is calculated on, excluding tax and discount. */
  SaleValue: number;
  Discount: number;
  FurtherTax: number;
  TaxCharged: number;
  TotalAmount: number;
  /** 1 New, 3 Credit, 11 3rd Schedule New, 12 3rd Schedule Credit. */
  InvoiceType: number;
  /** The original USIN, for credit and debit lines. */
  RefUSIN?: string;
}

/** An IMS invoice as posted to `GetInvoiceNumberByModel` or `Live/PostData`. */
export interface ImsInvoice {
  /** Sent blank (""); FBR fills in the fiscal number. */
  InvoiceNumber: string;
  /** FBR POS registration number (bigint on FBR's side). */
  POSID: number;
  /** The seller's own unique invoice number. */
  USIN: string;
  RefUSIN?: string;
  /** "yyyy-MM-dd HH:mm:ss". */
  DateTime: string;
  BuyerName?: string;
  /** "1234567-8". */
  BuyerNTN?: string;
  BuyerCNIC?: string;
  BuyerPhoneNumber?: string;
  TotalSaleValue: number;
  TotalTaxCharged: number;
  TotalQuantity: number;
  Discount: number;
  FurtherTax: number;
  TotalBillAmount: number;
  /** 1 Cash, 2 Card, 3 Gift Voucher, 4 Loyalty Card, 5 Mixed, 6 Cheque. */
  PaymentMode: number;
  /** 1 New, 2 Debit, 3 Credit. */
  InvoiceType: number;
  Items: ImsItem[];
}

/**
 * The reply of the fiscal component or PostData. Two success shapes exist: the component's
 * `{ InvoiceNumber: "9000052011142444901", Code: "100", ... }` and the older KB's numeric
 * `{ FBRInvoiceNumber: 11000120181112000369, Code: "100" }`. A rejection seen in the field is
 * `{ Code: "102", Response: "Invalid data received", InvoiceNumber: "Not Available" }`.
 */
export interface ImsResponse {
  InvoiceNumber?: string;
  FBRInvoiceNumber?: string | number;
  /** Compare as a string: "100" is success. A numeric 100 is read as "100". */
  Code: string;
  Response: string;
  Errors: unknown;
}

export const imsItemSchema: z.ZodType<ImsItem> = nullKeysAsAbsent(
  ["RefUSIN"],
  z.object(
    {
      ItemCode: lenientString(),
      ItemName: lenientString(),
      PCTCode: lenientString(),
      Quantity: lenientNumber(),
      TaxRate: lenientNumber(),
      SaleValue: lenientNumber(),
      Discount: lenientNumber(),
      FurtherTax: lenientNumber(),
      TaxCharged: lenientNumber(),
      TotalAmount: lenientNumber(),
      InvoiceType: lenientInteger(),
      RefUSIN: lenientString().exactOptional(),
    },
    objectError("an IMS item"),
  ),
);

export const imsInvoiceSchema: z.ZodType<ImsInvoice> = nullKeysAsAbsent(
  ["RefUSIN", "BuyerName", "BuyerNTN", "BuyerCNIC", "BuyerPhoneNumber"],
  z.object(
    {
      // The spec says "send blank"; a missing or null InvoiceNumber means the same.
      InvoiceNumber: lenientStringOrEmpty(),
      POSID: lenientInteger(),
      USIN: lenientString(),
      RefUSIN: lenientString().exactOptional(),
      DateTime: lenientString(),
      BuyerName: lenientString().exactOptional(),
      BuyerNTN: lenientString().exactOptional(),
      BuyerCNIC: lenientString().exactOptional(),
      BuyerPhoneNumber: lenientString().exactOptional(),
      TotalSaleValue: lenientNumber(),
      TotalTaxCharged: lenientNumber(),
      TotalQuantity: lenientNumber(),
      Discount: lenientNumber(),
      FurtherTax: lenientNumber(),
      TotalBillAmount: lenientNumber(),
      PaymentMode: lenientInteger(),
      InvoiceType: lenientInteger(),
      Items: z.array(imsItemSchema, arrayError("Items")),
    },
    objectError("an IMS invoice"),
  ),
);

/**
 * FBRInvoiceNumber: kept as a string when FBR sends one. A number is accepted only while it is exact:
 * 11000120181112000369 is above 2^53, so `JSON.parse` has already changed its last digits. Printing
 * that on a receipt would be wrong, so the parse fails with advice to use `parseFbrJson`, which keeps
 * long integers as strings.
 */
const fbrInvoiceNumberSchema = z.union([z.string(), z.number()]).superRefine((value, context) => {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    context.addIssue({
      code: "custom",
      message:
        "numeric FBRInvoiceNumber is too long to be exact after JSON.parse; read the body with parseFbrJson so it stays a string",
    });
  }
});

export const imsResponseSchema: z.ZodType<ImsResponse> = nullKeysAsAbsent(
  ["InvoiceNumber", "FBRInvoiceNumber"],
  z.object(
    {
      InvoiceNumber: lenientString().exactOptional(),
      FBRInvoiceNumber: fbrInvoiceNumberSchema.exactOptional(),
      Code: z.preprocess(
        (value) => (typeof value === "number" && Number.isInteger(value) ? String(value) : value),
        z.string({ error: 'expected Code as a string such as "100" (a number is accepted)' }),
      ),
      Response: lenientStringOrEmpty(),
      // The KB success shape has no Errors key; read it as null like the component's `Errors: null`.
      Errors: z.preprocess((value) => (value === undefined ? null : value), z.unknown()),
    },
    objectError("an IMS response"),
  ),
);

/** IMS writes this in InvoiceNumber when it did not issue one (with Code "102" or "402"). */
const NO_FISCAL_NUMBER = "not available";

/**
 * The fiscal invoice number FBR issued, or undefined when there is none: empty, blank and
 * "Not Available" (any casing) are not numbers. InvoiceNumber wins over the older FBRInvoiceNumber.
 * This does not look at Code; the outcome classifier decides acceptance.
 */
export function imsFiscalNumber(response: ImsResponse): string | undefined {
  for (const candidate of [response.InvoiceNumber, response.FBRInvoiceNumber]) {
    if (candidate === undefined) continue;
    if (typeof candidate === "number") {
      // An inexact number is not the number FBR issued (see fbrInvoiceNumberSchema).
      if (Number.isSafeInteger(candidate) && candidate > 0) return String(candidate);
      continue;
    }
    const trimmed = candidate.trim();
    if (trimmed !== "" && trimmed.toLowerCase() !== NO_FISCAL_NUMBER) return trimmed;
  }
  return undefined;
}
