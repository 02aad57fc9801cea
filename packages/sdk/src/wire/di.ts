// DI (PRAL Digital Invoicing API v1.12) wire shapes, spelled exactly as FBR spells them (FBR-SPEC §2, §3).
import { z } from "zod";
import {
  arrayError,
  fbrCode,
  lenientNumber,
  lenientString,
  lenientStringOrEmpty,
  nullKeysAsAbsent,
  objectError,
} from "./lenient.ts";

/** One invoice line as sent to `postinvoicedata[_sb]` / `validateinvoicedata[_sb]` (spec v1.12 §4.1, items[]). */
export interface DiItem {
  /** `NNNN.NNNN`, must exist in `/pdi/v1/itemdesccode`. */
  hsCode: string;
  productDescription: string;
  /** `ratE_DESC` from SaleTypeToRate, verbatim ("18%", "Exempt", "Rs.3", "18% along with rupees 60 per kilogram"). */
  rate: string;
  /** UoM description from `/pdi/v1/uom` (never the id). */
  uoM: string;
  quantity: number;
  totalValues: number;
  valueSalesExcludingST: number;
  fixedNotifiedValueOrRetailPrice: number;
  salesTaxApplicable: number;
  salesTaxWithheldAtSource: number;
  /** `""` means "not applicable"; reduced-rate lines must send `""`, not 0 (0091). */
  extraTax: number | "";
  furtherTax: number;
  /** `srO_DESC` from SroSchedule ("EIGHTH SCHEDULE Table 1"), or "". */
  sroScheduleNo: string;
  fedPayable: number;
  discount: number;
  /** Transaction-type description as the registry spells it (`/pdi/v1/transtypecode`). */
  saleType: string;
  /** `srO_ITEM_DESC` from SROItem ("82", "1(A)", "Region-I"), or "". */
  sroItemSerialNo: string;
  /** Added after v1.12 for "Petroleum Products" (0129); name and value domain are not published. */
  petroleumLevyOn?: string;
}

/** The invoice header plus its lines (spec v1.12 §4.1). */
export interface DiInvoice {
  /** "Sale Invoice" or "Debit Note" (doctypecode 4 / 9); "Credit Note" is refused with 0003. */
  invoiceType: string;
  /** `YYYY-MM-DD`. */
  invoiceDate: string;
  sellerNTNCNIC: string;
  sellerBusinessName: string;
  sellerProvince: string;
  sellerAddress: string;
  buyerNTNCNIC: string;
  buyerBusinessName: string;
  buyerProvince: string;
  buyerAddress: string;
  /**
   * "Registered" or "Unregistered". FBR requires it; the type leaves it optional only because PRAL's own
   * SN004 and SN011 samples omit the key, and the schema must read those samples as they are.
   */
  buyerRegistrationType?: string;
  /** The original FBR invoice number for a debit note (22 or 28 chars); the seller's own reference otherwise. */
  invoiceRefNo: string;
  /** "SN001".."SN028"; sandbox only. */
  scenarioId?: string;
  /** Debit notes: required in practice (0027) although v1.12 does not list it. */
  reason?: string;
  /** Debit notes with reason "Others" (0028). */
  reasonRemarks?: string;
  items: DiItem[];
}

/** extraTax: `""` stays `""` (FBR's "not applicable"); a number or numeric string becomes a number. */
const extraTaxSchema = z.preprocess(
  (value) => {
    if (typeof value === "string") {
      const trimmed = value.trim();
      if (trimmed === "") return "";
      if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(trimmed)) return Number(trimmed);
    }
    return value;
  },
  z.union([z.number(), z.literal("")], {
    error: (issue) =>
      `expected a number or "" (not applicable), got ${issue.input === undefined ? "nothing (the field is missing)" : JSON.stringify(issue.input)}`,
  }),
);

export const diItemSchema: z.ZodType<DiItem> = z.object(
  {
    hsCode: lenientString(),
    productDescription: lenientString(),
    rate: lenientString(),
    uoM: lenientString(),
    quantity: lenientNumber(),
    totalValues: lenientNumber(),
    valueSalesExcludingST: lenientNumber(),
    fixedNotifiedValueOrRetailPrice: lenientNumber(),
    salesTaxApplicable: lenientNumber(),
    salesTaxWithheldAtSource: lenientNumber(),
    extraTax: extraTaxSchema,
    furtherTax: lenientNumber(),
    sroScheduleNo: lenientString(),
    fedPayable: lenientNumber(),
    discount: lenientNumber(),
    saleType: lenientString(),
    sroItemSerialNo: lenientString(),
    petroleumLevyOn: lenientString().exactOptional(),
  },
  objectError("an invoice item"),
);

const OPTIONAL_HEADER_KEYS = ["buyerRegistrationType", "scenarioId", "reason", "reasonRemarks"] as const;

export const diInvoiceSchema: z.ZodType<DiInvoice> = nullKeysAsAbsent(
  OPTIONAL_HEADER_KEYS,
  z.object(
    {
      invoiceType: lenientString(),
      invoiceDate: lenientString(),
      sellerNTNCNIC: lenientString(),
      sellerBusinessName: lenientString(),
      sellerProvince: lenientString(),
      sellerAddress: lenientString(),
      buyerNTNCNIC: lenientString(),
      buyerBusinessName: lenientString(),
      buyerProvince: lenientString(),
      buyerAddress: lenientString(),
      buyerRegistrationType: lenientString().exactOptional(),
      invoiceRefNo: lenientString(),
      scenarioId: lenientString().exactOptional(),
      reason: lenientString().exactOptional(),
      reasonRemarks: lenientString().exactOptional(),
      items: z.array(diItemSchema, arrayError("items")),
    },
    objectError("a DI invoice"),
  ),
);

/** One entry of `validationResponse.invoiceStatuses` (one per item). */
export interface DiInvoiceStatus {
  /** 1-based item number as a string ("1"). */
  itemSNo: string;
  /** "00" valid, "01" invalid. */
  statusCode: string;
  status: string;
  /** `<invoiceNumber>-<itemSNo>` on an accepted post; null on a rejected item; absent on validate. */
  invoiceNo?: string | null;
  /** "" when valid (FBR's null is read as ""). */
  errorCode: string;
  error: string;
}

/** The reply of post and validate alike (spec v1.12 §4.1.3-§4.2.4). */
export interface DiResponse {
  /** Present only on an accepted post. */
  invoiceNumber?: string;
  /** "yyyy-MM-dd HH:mm:ss", Pakistan time. */
  dated?: string;
  validationResponse: {
    /** "00" or "01". An item-level rejection arrives under "00" with status "invalid": check every item. */
    statusCode: string;
    /** "Valid", "Invalid" or "invalid": the casing varies. */
    status: string;
    errorCode?: string | null;
    error: string;
    invoiceStatuses: DiInvoiceStatus[] | null;
  };
}

export const diInvoiceStatusSchema: z.ZodType<DiInvoiceStatus> = z.object(
  {
    itemSNo: lenientString(),
    statusCode: fbrCode(2),
    status: lenientString(),
    invoiceNo: lenientString().nullable().exactOptional(),
    errorCode: z.preprocess((value) => (value === null || value === undefined ? "" : value), fbrCode(4)),
    error: lenientStringOrEmpty(),
  },
  objectError("an invoice status"),
);

export const diResponseSchema: z.ZodType<DiResponse> = nullKeysAsAbsent(
  ["invoiceNumber", "dated"],
  z.object(
    {
      invoiceNumber: lenientString().exactOptional(),
      dated: lenientString().exactOptional(),
      validationResponse: z.object(
        {
          statusCode: fbrCode(2),
          status: lenientString(),
          errorCode: fbrCode(4).nullable().exactOptional(),
          error: lenientStringOrEmpty(),
          // A header-level rejection carries null; a reply that leaves the key out means the same.
          invoiceStatuses: z.preprocess(
            (value) => (value === undefined ? null : value),
            z.array(diInvoiceStatusSchema, arrayError("invoiceStatuses")).nullable(),
          ),
        },
        objectError("validationResponse"),
      ),
    },
    objectError("a DI response"),
  ),
);

/** The WSO2 API Manager fault envelope (401 900901/900902, 403 900908, throttling 900802). */
export interface Wso2Fault {
  fault: { code: number; message: string; description: string; type?: string };
}

export const wso2FaultSchema: z.ZodType<Wso2Fault> = z.object(
  {
    fault: nullKeysAsAbsent(
      ["type"],
      z.object(
        {
          code: lenientNumber().pipe(
            z.number().int({ error: "expected an integer fault code such as 900901" }),
          ),
          message: lenientString(),
          description: lenientStringOrEmpty(),
          type: lenientString().exactOptional(),
        },
        objectError("fault"),
      ),
    ),
  },
  objectError("a WSO2 fault"),
);
