import type { Decimal } from "decimal.js";
import {
  expectedSalesTax,
  furtherTaxOn,
  isReducedRateSaleType,
  isThirdScheduleSaleType,
  roundMoney,
  TaxDecimal,
  toMoneyNumber,
  toQuantityNumber,
} from "../tax/index.ts";
import { daysBetween, isCalendarDate, pakistanDate } from "../time/pakistan-time.ts";
import type { DiInvoice, DiItem } from "../wire/index.ts";
import { InvoiceDraftError } from "./errors.ts";
import {
  asDraftError,
  draftDecimal,
  draftMoney,
  draftQuantity,
  draftText,
  draftUnitPrice,
  optionalDraftText,
} from "./internal/draft-numbers.ts";
import { registrySaleType, type SaleTypeLookup } from "./internal/sale-type.ts";

/** DI accepts two registration types for the buyer (spec §2.1). */
export type BuyerRegistrationType = "Registered" | "Unregistered";

/** DI document types (doctypecode 4 and 9). "Credit Note" does not exist in DI (0003). */
export type DiDocumentType = "Sale Invoice" | "Debit Note";

export interface DiPartyDraft {
  /** 7-digit NTN or 13-digit CNIC. */
  ntnCnic: string;
  businessName: string;
  /** Province as the reference API spells it ("Sindh", "PUNJAB"). */
  province: string;
  address: string;
}

export interface DiBuyerDraft extends DiPartyDraft {
  registrationType: BuyerRegistrationType;
}

/** One sold line, in our words. Numbers may be decimals, numeric strings or JS numbers. */
export interface DiLineDraft {
  /** "NNNN.NNNN", e.g. "0101.2100". */
  hsCode: string;
  description: string;
  /** UoM description from /pdi/v1/uom, e.g. "Numbers, pieces, units", "KG". */
  uoM: string;
  /** Rounded ROUND_HALF_UP to 4 decimals; every amount is computed from the rounded quantity. */
  quantity: Decimal.Value;
  /** Price of one unit, excluding sales tax. Any precision; the line value is rounded, not the price. */
  unitPrice: Decimal.Value;
  /** Discount on the whole line, in rupees. The sent value is net of it. */
  discount?: Decimal.Value;
  /** The sale type; sent as the registry string (" 3rd Schedule Goods " padded as FBR has it). */
  saleType: string;
  /** The rate exactly as SaleTypeToRate's ratE_DESC: "18%", "Rs.3", "Exempt", "18% along with rupees 60 per kilogram". */
  rate: string;
  /**
   * Retail price of ONE unit (the printed maximum retail price). Required for "3rd Schedule Goods" (0090).
   * FBR's fixedNotifiedValueOrRetailPrice is the line's retail value, so quantity × retailPrice is sent.
   */
  retailPrice?: Decimal.Value;
  /** srO_DESC from SroSchedule, e.g. "EIGHTH SCHEDULE Table 1". */
  sroScheduleNo?: string;
  /** srO_ITEM_DESC from SROItem, e.g. "82". */
  sroItemSerialNo?: string;
  salesTaxWithheldAtSource?: Decimal.Value;
  fedPayable?: Decimal.Value;
  /** Extra tax in rupees; sent as "" when absent or zero, and refused on reduced-rate lines (0091). */
  extraTax?: Decimal.Value;
  /** Overrides the computed further tax for this line (FBR does not recompute it). */
  furtherTax?: Decimal.Value;
  /** For "Petroleum Products" (0129); value domain unknown, sent verbatim. */
  petroleumLevyOn?: string;
}

export interface DiInvoiceDraft {
  seller: DiPartyDraft;
  buyer: DiBuyerDraft;
  /** Default "Sale Invoice". Use buildDebitNote for debit notes. */
  invoiceType?: DiDocumentType;
  /** "YYYY-MM-DD", or a Date read on the Pakistan calendar. */
  date: string | Date;
  /** The seller's own reference for a sale invoice; the original FBR number for a debit note. */
  invoiceRefNo?: string;
  reason?: string;
  reasonRemarks?: string;
  /** "SN001".."SN028"; sandbox only. */
  scenarioId?: string;
  lines: readonly DiLineDraft[];
}

export interface BuildDiInvoiceOptions {
  /**
   * Further tax percentage for unregistered buyers (Sales Tax Act s.3(1A)): 4% since Finance Act 2023.
   * The FY2025-26 budget proposed abolishing it; pass "0" if that applies to you.
   */
  furtherTaxRate?: Decimal.Value;
  /**
   * true: the payload is for the sandbox, scenarioId is required and sent. false: scenarioId is never sent
   * (production refuses it). Absent: scenarioId is sent when the draft has one.
   */
  sandbox?: boolean;
  /** Maps a sale type to the registry string; defaults to the offline transaction-type snapshot. */
  findSaleType?: SaleTypeLookup;
}

/** Further tax rate in percent when none is configured: 4% (Finance Act 2023, spec §8). */
export const DEFAULT_FURTHER_TAX_RATE = "4";

/** The computed amounts of one line, as decimals, before they become wire numbers. */
interface LineAmounts {
  quantity: Decimal;
  discount: Decimal;
  value: Decimal;
  retailValue: Decimal;
  salesTax: Decimal;
  furtherTax: Decimal;
  extraTax: Decimal | undefined;
  withheld: Decimal;
  fed: Decimal;
  total: Decimal;
}

function computeLine(
  line: DiLineDraft,
  path: string,
  buyerRegistered: boolean,
  furtherTaxRate: Decimal,
): LineAmounts {
  const quantity = draftQuantity(line.quantity, `${path}.quantity`);
  const unitPrice = draftUnitPrice(line.unitPrice, `${path}.unitPrice`);
  const discount = draftMoney(line.discount, `${path}.discount`, 0);
  // Integrators send valueSalesExcludingST net of the discount and the discount beside it (spec §8);
  // a pro-rata header discount split across lines was accepted live.
  const value = roundMoney(quantity.times(unitPrice)).minus(discount);
  if (value.isNegative()) {
    throw new InvoiceDraftError(`${path}.discount`, `discount ${discount} exceeds the line value`);
  }

  // Text first: the drafts may come from untrusted JSON (the gateway's API), and the tax rules read these.
  const saleType = draftText(line.saleType, `${path}.saleType`, "0013");
  draftText(line.rate, `${path}.rate`, "0046");
  const thirdSchedule = isThirdScheduleSaleType(saleType);
  if (thirdSchedule && line.retailPrice === undefined) {
    // 0090: Third Schedule goods are taxed on the retail price, which is mandatory.
    throw new InvoiceDraftError(`${path}.retailPrice`, "is required for 3rd Schedule goods", "0090");
  }
  const retailValue =
    line.retailPrice === undefined
      ? new TaxDecimal(0)
      : roundMoney(quantity.times(draftUnitPrice(line.retailPrice, `${path}.retailPrice`)));

  const tax = expectedSalesTax({
    rate: line.rate,
    saleType,
    quantity,
    valueSalesExcludingST: value,
    fixedNotifiedValueOrRetailPrice: retailValue,
  });
  if (tax.rate.kind === "unknown") {
    throw new InvoiceDraftError(
      `${path}.rate`,
      `${JSON.stringify(line.rate)} is not a rate FBR knows; use SaleTypeToRate's ratE_DESC, e.g. "18%"`,
      "0046",
    );
  }

  // s.3(1A) further tax falls on taxable supplies to unregistered persons. Not on exempt, zero-rated, DTRE
  // or non-adjustable lines (nothing taxable), nor on Third Schedule goods, whose tax already sits in the
  // retail price [INFERRED; FBR does not recompute further tax, only 0080 "cannot be empty"].
  const furtherTaxApplies = !buyerRegistered && tax.basis !== "none" && !thirdSchedule;
  const furtherTax =
    line.furtherTax !== undefined
      ? draftMoney(line.furtherTax, `${path}.furtherTax`)
      : furtherTaxApplies
        ? furtherTaxOn(value, furtherTaxRate)
        : new TaxDecimal(0);

  let extraTax: Decimal | undefined;
  if (line.extraTax !== undefined) {
    const amount = draftMoney(line.extraTax, `${path}.extraTax`);
    if (!amount.isZero()) {
      if (isReducedRateSaleType(saleType)) {
        throw new InvoiceDraftError(`${path}.extraTax`, "reduced-rate lines carry no extra tax", "0091");
      }
      extraTax = amount;
    }
  }

  const withheld = draftMoney(line.salesTaxWithheldAtSource, `${path}.salesTaxWithheldAtSource`, 0);
  const fed = draftMoney(line.fedPayable, `${path}.fedPayable`, 0);
  // totalValues: "Total Sales Value (Including Tax)". No code checks it (spec §8); we send what the buyer
  // pays: value + sales tax + further tax + extra tax + FED. Tax withheld at source is not subtracted.
  const total = value
    .plus(tax.amount)
    .plus(furtherTax)
    .plus(extraTax ?? 0)
    .plus(fed);
  return {
    quantity,
    discount,
    value,
    retailValue,
    salesTax: tax.amount,
    furtherTax,
    extraTax,
    withheld,
    fed,
    total,
  };
}

function toWireItem(
  line: DiLineDraft,
  path: string,
  amounts: LineAmounts,
  findSaleType: SaleTypeLookup | undefined,
): DiItem {
  const item: DiItem = {
    hsCode: draftText(line.hsCode, `${path}.hsCode`, "0019"),
    productDescription: optionalDraftText(line.description, `${path}.description`) ?? "",
    rate: draftText(line.rate, `${path}.rate`, "0046"),
    uoM: draftText(line.uoM, `${path}.uoM`),
    quantity: toQuantityNumber(amounts.quantity),
    totalValues: toMoneyNumber(amounts.total),
    valueSalesExcludingST: toMoneyNumber(amounts.value),
    fixedNotifiedValueOrRetailPrice: toMoneyNumber(amounts.retailValue),
    salesTaxApplicable: toMoneyNumber(amounts.salesTax),
    salesTaxWithheldAtSource: toMoneyNumber(amounts.withheld),
    // 0091: reduced-rate lines send extraTax as ""; integrators send "" wherever there is none (SN001).
    extraTax: amounts.extraTax === undefined ? "" : toMoneyNumber(amounts.extraTax),
    furtherTax: toMoneyNumber(amounts.furtherTax),
    sroScheduleNo: optionalDraftText(line.sroScheduleNo, `${path}.sroScheduleNo`) ?? "",
    fedPayable: toMoneyNumber(amounts.fed),
    discount: toMoneyNumber(amounts.discount),
    saleType: registrySaleType(draftText(line.saleType, `${path}.saleType`, "0013"), findSaleType),
    sroItemSerialNo: optionalDraftText(line.sroItemSerialNo, `${path}.sroItemSerialNo`) ?? "",
  };
  const petroleumLevyOn = optionalDraftText(line.petroleumLevyOn, `${path}.petroleumLevyOn`);
  if (petroleumLevyOn !== undefined) item.petroleumLevyOn = petroleumLevyOn;
  return item;
}

function invoiceDateOf(date: string | Date): string {
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new InvoiceDraftError("date", "is an invalid Date", "0005");
    return pakistanDate(date);
  }
  if (typeof date !== "string" || !isCalendarDate(date)) {
    throw new InvoiceDraftError("date", `${JSON.stringify(date)} is not a YYYY-MM-DD calendar date`, "0005");
  }
  return date;
}

function furtherTaxRateOf(options: BuildDiInvoiceOptions): Decimal {
  const rate = draftDecimal(options.furtherTaxRate, "options.furtherTaxRate", DEFAULT_FURTHER_TAX_RATE);
  if (rate.isNegative() || rate.gt(100)) {
    throw new InvoiceDraftError("options.furtherTaxRate", "must be a percentage between 0 and 100");
  }
  return rate;
}

/**
 * Builds the DI payload for a draft, computing every amount the way FBR recomputes it (spec §8): the value
 * net of discount, the sales tax by the rate's basis, further tax for unregistered buyers, extraTax "" where
 * none, and totals. Money is ROUND_HALF_UP to 2 decimals per line, quantity to 4; no float on the way.
 * Throws InvoiceDraftError naming the draft field when the draft cannot become a payload FBR accepts.
 *
 * @example
 * const invoice = buildDiInvoice({
 *   seller: { ntnCnic: "7000007", businessName: "Demo Traders", province: "Sindh", address: "Karachi" },
 *   buyer: { ntnCnic: "2046004", businessName: "Buyer", province: "Sindh", address: "Karachi", registrationType: "Registered" },
 *   date: "2025-05-13",
 *   lines: [{ hsCode: "0101.2100", description: "Horse", uoM: "Numbers, pieces, units", quantity: 2,
 *             unitPrice: "500", saleType: "Goods at standard rate (default)", rate: "18%" }],
 * }); // items[0].salesTaxApplicable === 180
 */
export function buildDiInvoice(draft: DiInvoiceDraft, options: BuildDiInvoiceOptions = {}): DiInvoice {
  if (draft === null || typeof draft !== "object") throw new InvoiceDraftError("draft", "must be an object");
  const invoiceType: DiDocumentType = draft.invoiceType ?? "Sale Invoice";
  if (invoiceType !== "Sale Invoice" && invoiceType !== "Debit Note") {
    throw new InvoiceDraftError(
      "invoiceType",
      `${JSON.stringify(invoiceType)} is not a DI document type`,
      "0003",
    );
  }
  const seller = draft.seller;
  const buyer = draft.buyer;
  if (seller === null || typeof seller !== "object")
    throw new InvoiceDraftError("seller", "must be an object");
  if (buyer === null || typeof buyer !== "object") throw new InvoiceDraftError("buyer", "must be an object");
  if (buyer.registrationType !== "Registered" && buyer.registrationType !== "Unregistered") {
    throw new InvoiceDraftError("buyer.registrationType", 'must be "Registered" or "Unregistered"');
  }
  if (!Array.isArray(draft.lines) || draft.lines.length === 0) {
    throw new InvoiceDraftError("lines", "an invoice needs at least one line");
  }
  const furtherTaxRate = furtherTaxRateOf(options);
  const buyerRegistered = buyer.registrationType === "Registered";

  const items = draft.lines.map((line, index) => {
    const path = `lines[${index}]`;
    if (line === null || typeof line !== "object") throw new InvoiceDraftError(path, "must be an object");
    return asDraftError(path, () =>
      toWireItem(line, path, computeLine(line, path, buyerRegistered, furtherTaxRate), options.findSaleType),
    );
  });

  const invoice: DiInvoice = {
    invoiceType,
    invoiceDate: invoiceDateOf(draft.date),
    sellerNTNCNIC: draftText(seller.ntnCnic, "seller.ntnCnic"),
    sellerBusinessName: draftText(seller.businessName, "seller.businessName"),
    sellerProvince: draftText(seller.province, "seller.province"),
    sellerAddress: draftText(seller.address, "seller.address"),
    // The buyer NTN/CNIC is optional for unregistered buyers (spec §2.1).
    buyerNTNCNIC: buyerRegistered
      ? draftText(buyer.ntnCnic, "buyer.ntnCnic")
      : (optionalDraftText(buyer.ntnCnic, "buyer.ntnCnic") ?? ""),
    buyerBusinessName: draftText(buyer.businessName, "buyer.businessName", "0010"),
    buyerProvince: draftText(buyer.province, "buyer.province", "0074"),
    buyerAddress: draftText(buyer.address, "buyer.address"),
    buyerRegistrationType: buyer.registrationType,
    invoiceRefNo: optionalDraftText(draft.invoiceRefNo, "invoiceRefNo") ?? "",
    items,
  };

  const scenarioId = optionalDraftText(draft.scenarioId, "scenarioId");
  if (options.sandbox === true) {
    invoice.scenarioId = draftText(scenarioId, "scenarioId");
  } else if (options.sandbox === undefined && scenarioId !== undefined) {
    invoice.scenarioId = scenarioId;
  }
  const reason = optionalDraftText(draft.reason, "reason");
  if (reason !== undefined) invoice.reason = reason;
  const reasonRemarks = optionalDraftText(draft.reasonRemarks, "reasonRemarks");
  if (reasonRemarks !== undefined) invoice.reasonRemarks = reasonRemarks;
  return invoice;
}

/** The FBR invoice a debit note amends. */
export interface OriginalDiInvoice {
  /** FBR's number for it, e.g. "7000007DI1747119701593" (22 chars for an NTN seller, 28 for a CNIC seller). */
  fbrInvoiceNumber: string;
  /** Its invoiceDate, when known: lets the builder check the 0029 / 0034 date limits. */
  invoiceDate?: string;
}

/** Debit notes may be issued up to this many days after the original invoice (0034). */
export const DEBIT_NOTE_WINDOW_DAYS = 180;

/**
 * Builds a DI debit note against an accepted invoice (spec §9): invoiceType "Debit Note", invoiceRefNo =
 * the original FBR number (0026), a top-level `reason` (0027), `reasonRemarks` when the reason is "Others"
 * (0028), a registered buyer (0106), dated on or after the original (0029) and within 180 days (0034).
 */
export function buildDebitNote(
  original: OriginalDiInvoice,
  draft: Omit<DiInvoiceDraft, "invoiceType" | "invoiceRefNo" | "reason" | "reasonRemarks">,
  reason: string,
  reasonRemarks?: string,
  options: BuildDiInvoiceOptions = {},
): DiInvoice {
  if (draft === null || typeof draft !== "object") throw new InvoiceDraftError("draft", "must be an object");
  const invoiceRefNo = draftText(original?.fbrInvoiceNumber, "original.fbrInvoiceNumber", "0026").trim();
  const givenReason = draftText(reason, "reason", "0027").trim();
  if (
    givenReason.toLowerCase() === "others" &&
    (reasonRemarks === undefined || reasonRemarks.trim() === "")
  ) {
    throw new InvoiceDraftError("reasonRemarks", 'is required when the reason is "Others"', "0028");
  }
  if (draft.buyer?.registrationType !== "Registered") {
    throw new InvoiceDraftError("buyer.registrationType", "a debit note needs a registered buyer", "0106");
  }
  const noteDraft: DiInvoiceDraft = {
    ...draft,
    invoiceType: "Debit Note",
    invoiceRefNo,
    reason: givenReason,
  };
  if (reasonRemarks !== undefined) noteDraft.reasonRemarks = reasonRemarks;
  const note = buildDiInvoice(noteDraft, options);

  if (original.invoiceDate !== undefined) {
    if (!isCalendarDate(original.invoiceDate)) {
      throw new InvoiceDraftError("original.invoiceDate", "is not a YYYY-MM-DD calendar date");
    }
    const days = daysBetween(original.invoiceDate, note.invoiceDate);
    if (days < 0) {
      throw new InvoiceDraftError(
        "date",
        `is before the original invoice date ${original.invoiceDate}`,
        "0029",
      );
    }
    if (days > DEBIT_NOTE_WINDOW_DAYS) {
      throw new InvoiceDraftError(
        "date",
        `is ${days} days after the original invoice; debit notes are allowed within ${DEBIT_NOTE_WINDOW_DAYS} days`,
        "0034",
      );
    }
  }
  return note;
}
