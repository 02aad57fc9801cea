import type { Decimal } from "decimal.js";
import { roundMoney, roundQuantity, TaxDecimal, toMoneyNumber, toQuantityNumber } from "../tax/index.ts";
import { pakistanDateTime } from "../time/pakistan-time.ts";
import type { ImsInvoice, ImsItem } from "../wire/ims.ts";
import {
  IMS_INVOICE_TYPES,
  IMS_ITEM_INVOICE_TYPES,
  IMS_PAYMENT_MODES,
  type ImsInvoiceKind,
  type ImsPaymentModeName,
} from "../wire/ims-codes.ts";
import { InvalidHsCodeError, InvoiceDraftError } from "./errors.ts";
import {
  asDraftError,
  draftDecimal,
  draftMoney,
  draftQuantity,
  draftText,
  draftUnitPrice,
  optionalDraftText,
} from "./internal/draft-numbers.ts";

const HS_CODE = /^(\d{4})\.(\d{4})$/;
const PCT_CODE = /^\d{8}$/;

/**
 * The 8-digit Pakistan Customs Tariff code IMS wants, from a DI-style HS code: "0101.2100" → "01012100".
 * An 8-digit code is returned as it is. Surrounding spaces are ignored; anything else throws InvalidHsCodeError.
 */
export function pctCodeFromHsCode(hsCode: string): string {
  const text = typeof hsCode === "string" ? hsCode.trim() : "";
  if (PCT_CODE.test(text)) return text;
  const match = HS_CODE.exec(text);
  if (match === null) throw new InvalidHsCodeError(String(hsCode));
  return `${match[1]}${match[2]}`;
}

export interface ImsLineDraft {
  itemCode: string;
  itemName: string;
  /** "NNNN.NNNN"; turned into PCTCode. Give `pctCode` instead if you have the 8 digits. */
  hsCode?: string;
  pctCode?: string;
  /** Rounded ROUND_HALF_UP to 4 decimals. */
  quantity: Decimal.Value;
  /** Price of one unit excluding tax. */
  unitPrice: Decimal.Value;
  /** Discount on the line, in rupees: SaleValue is net of it and it is reported beside it. */
  discount?: Decimal.Value;
  /** Percent number: 17 means 17%. */
  taxRate: Decimal.Value;
  /** Third Schedule goods: tax on quantity × retailPrice, item InvoiceType 11 / 12. */
  thirdSchedule?: boolean;
  /** Retail price of ONE unit; required when thirdSchedule is true. */
  retailPrice?: Decimal.Value;
  /** Further tax on this line, in rupees (IMS has no rule for computing it; the POS decides). */
  furtherTax?: Decimal.Value;
  /** Overrides the item InvoiceType code derived from the header kind and thirdSchedule. */
  itemInvoiceType?: number;
}

export interface ImsInvoiceDraft {
  /** FBR POS registration number. */
  posId: number | string;
  /** The seller's own unique invoice number. */
  usin: string;
  /** The original USIN; required for debit and credit invoices. */
  refUsin?: string;
  /** The sale's moment; formatted "yyyy-MM-dd HH:mm:ss" on the Pakistan wall clock. A string is sent as is. */
  dateTime: Date | string;
  buyer?: { name?: string; ntn?: string; cnic?: string; phoneNumber?: string };
  paymentMode: ImsPaymentModeName;
  /** Default "new". */
  invoiceKind?: ImsInvoiceKind;
  lines: readonly ImsLineDraft[];
}

const IMS_DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

function imsDateTimeOf(dateTime: Date | string): string {
  if (dateTime instanceof Date) {
    if (Number.isNaN(dateTime.getTime())) throw new InvoiceDraftError("dateTime", "is an invalid Date");
    return pakistanDateTime(dateTime);
  }
  if (typeof dateTime !== "string" || !IMS_DATE_TIME.test(dateTime)) {
    throw new InvoiceDraftError("dateTime", 'must be a Date or "yyyy-MM-dd HH:mm:ss" (Pakistan time)');
  }
  return dateTime;
}

function posIdOf(posId: number | string): number {
  const text = String(posId).trim();
  // POSID is a bigint at FBR; registration numbers are far below 2^53, so a JS number holds them exactly.
  if (!/^\d{1,15}$/.test(text))
    throw new InvoiceDraftError("posId", "must be FBR's numeric POS registration number");
  return Number(text);
}

interface ImsLineAmounts {
  quantity: Decimal;
  saleValue: Decimal;
  discount: Decimal;
  taxCharged: Decimal;
  furtherTax: Decimal;
  totalAmount: Decimal;
}

function computeImsLine(line: ImsLineDraft, path: string): ImsLineAmounts {
  const quantity = draftQuantity(line.quantity, `${path}.quantity`);
  const unitPrice = draftUnitPrice(line.unitPrice, `${path}.unitPrice`);
  const discount = draftMoney(line.discount, `${path}.discount`, 0);
  // SaleValue is "the value tax is calculated on, excl. tax and discount" (FBR KB): net of the discount.
  const saleValue = roundMoney(quantity.times(unitPrice)).minus(discount);
  if (saleValue.isNegative()) {
    throw new InvoiceDraftError(`${path}.discount`, `discount ${discount} exceeds the line value`);
  }
  const taxRate = draftDecimal(line.taxRate, `${path}.taxRate`);
  if (taxRate.isNegative() || taxRate.gt(100)) {
    throw new InvoiceDraftError(`${path}.taxRate`, "must be a percentage between 0 and 100, e.g. 17");
  }
  let taxBase = saleValue;
  if (line.thirdSchedule === true) {
    if (line.retailPrice === undefined) {
      throw new InvoiceDraftError(`${path}.retailPrice`, "is required for 3rd Schedule items");
    }
    taxBase = roundMoney(quantity.times(draftUnitPrice(line.retailPrice, `${path}.retailPrice`)));
  }
  // TaxCharged = base × TaxRate%, ROUND_HALF_UP to 2 decimals per item.
  const taxCharged = roundMoney(taxBase.times(taxRate).dividedBy(100));
  const furtherTax = draftMoney(line.furtherTax, `${path}.furtherTax`, 0);
  // KB sample: SaleValue 1298 + TaxCharged 221 = TotalAmount 1519, the 380 discount reported beside it and not
  // subtracted again (SaleValue is already net of it). Further tax is payable on top.
  const totalAmount = saleValue.plus(taxCharged).plus(furtherTax);
  return { quantity, saleValue, discount, taxCharged, furtherTax, totalAmount };
}

function itemInvoiceTypeOf(line: ImsLineDraft, kind: ImsInvoiceKind, path: string): number {
  if (line.itemInvoiceType !== undefined) {
    if (!Number.isInteger(line.itemInvoiceType)) {
      throw new InvoiceDraftError(
        `${path}.itemInvoiceType`,
        "must be an IMS item InvoiceType code such as 1, 3, 11 or 12",
      );
    }
    return line.itemInvoiceType;
  }
  const credit = kind === "credit";
  // Item codes know only New and Credit (1/3, 11/12 for 3rd Schedule); a debit invoice's lines are new
  // supplies, so they take the "New" code [INFERRED].
  if (line.thirdSchedule === true) {
    return credit ? IMS_ITEM_INVOICE_TYPES.thirdScheduleCredit : IMS_ITEM_INVOICE_TYPES.thirdScheduleNew;
  }
  return credit ? IMS_ITEM_INVOICE_TYPES.credit : IMS_ITEM_INVOICE_TYPES.new;
}

function pctCodeOfLine(line: ImsLineDraft, path: string): string {
  const source = line.pctCode ?? line.hsCode;
  if (source === undefined) throw new InvoiceDraftError(`${path}.pctCode`, "give pctCode or hsCode");
  try {
    return pctCodeFromHsCode(source);
  } catch (error) {
    if (error instanceof InvalidHsCodeError) {
      throw new InvoiceDraftError(
        `${path}.${line.pctCode === undefined ? "hsCode" : "pctCode"}`,
        error.message,
      );
    }
    throw error;
  }
}

/**
 * Builds the IMS (Tier-1 POS) payload: per item SaleValue = quantity × unitPrice − discount,
 * TaxCharged = SaleValue × TaxRate% (retail value for 3rd Schedule), TotalAmount = SaleValue + TaxCharged +
 * FurtherTax; header totals are the sums of the items as sent, so they always add up. Money ROUND_HALF_UP to
 * 2 decimals, quantity to 4. Throws InvoiceDraftError naming the field when the draft is unusable.
 */
export function buildImsInvoice(draft: ImsInvoiceDraft): ImsInvoice {
  if (draft === null || typeof draft !== "object") throw new InvoiceDraftError("draft", "must be an object");
  const kind: ImsInvoiceKind = draft.invoiceKind ?? "new";
  if (!(kind in IMS_INVOICE_TYPES)) {
    throw new InvoiceDraftError("invoiceKind", 'must be "new", "debit" or "credit"');
  }
  const paymentMode = IMS_PAYMENT_MODES[draft.paymentMode];
  if (paymentMode === undefined) {
    throw new InvoiceDraftError("paymentMode", `must be one of ${Object.keys(IMS_PAYMENT_MODES).join(", ")}`);
  }
  const refUsin = optionalDraftText(draft.refUsin, "refUsin");
  if (kind !== "new") draftText(refUsin, "refUsin");
  if (!Array.isArray(draft.lines) || draft.lines.length === 0) {
    throw new InvoiceDraftError("lines", "an invoice needs at least one line");
  }

  const totals = {
    saleValue: new TaxDecimal(0),
    taxCharged: new TaxDecimal(0),
    quantity: new TaxDecimal(0),
    discount: new TaxDecimal(0),
    furtherTax: new TaxDecimal(0),
    billAmount: new TaxDecimal(0),
  };
  const items = draft.lines.map((line, index): ImsItem => {
    const path = `lines[${index}]`;
    if (line === null || typeof line !== "object") throw new InvoiceDraftError(path, "must be an object");
    return asDraftError(path, () => {
      const amounts = computeImsLine(line, path);
      const item: ImsItem = {
        ItemCode: draftText(line.itemCode, `${path}.itemCode`),
        ItemName: draftText(line.itemName, `${path}.itemName`),
        PCTCode: pctCodeOfLine(line, path),
        Quantity: toQuantityNumber(amounts.quantity),
        TaxRate: Number(draftDecimal(line.taxRate, `${path}.taxRate`).toString()),
        SaleValue: toMoneyNumber(amounts.saleValue),
        Discount: toMoneyNumber(amounts.discount),
        FurtherTax: toMoneyNumber(amounts.furtherTax),
        TaxCharged: toMoneyNumber(amounts.taxCharged),
        TotalAmount: toMoneyNumber(amounts.totalAmount),
        InvoiceType: itemInvoiceTypeOf(line, kind, path),
      };
      if (refUsin !== undefined && kind !== "new") item.RefUSIN = refUsin;
      // Totals add the rounded item amounts, exactly what is sent, so the header equals the sum of the items.
      totals.saleValue = totals.saleValue.plus(amounts.saleValue);
      totals.taxCharged = totals.taxCharged.plus(amounts.taxCharged);
      totals.quantity = totals.quantity.plus(amounts.quantity);
      totals.discount = totals.discount.plus(amounts.discount);
      totals.furtherTax = totals.furtherTax.plus(amounts.furtherTax);
      totals.billAmount = totals.billAmount.plus(amounts.totalAmount);
      return item;
    });
  });

  const headerTotals = asDraftError("lines", () => ({
    TotalSaleValue: toMoneyNumber(totals.saleValue),
    TotalTaxCharged: toMoneyNumber(totals.taxCharged),
    TotalQuantity: toQuantityNumber(roundQuantity(totals.quantity)),
    Discount: toMoneyNumber(totals.discount),
    FurtherTax: toMoneyNumber(totals.furtherTax),
    TotalBillAmount: toMoneyNumber(totals.billAmount),
  }));

  const invoice: ImsInvoice = {
    // Sent blank: FBR fills in the fiscal number.
    InvoiceNumber: "",
    POSID: posIdOf(draft.posId),
    USIN: draftText(draft.usin, "usin"),
    DateTime: imsDateTimeOf(draft.dateTime),
    ...headerTotals,
    PaymentMode: paymentMode,
    InvoiceType: IMS_INVOICE_TYPES[kind],
    Items: items,
  };
  if (refUsin !== undefined) invoice.RefUSIN = refUsin;
  const buyer = draft.buyer;
  if (buyer !== undefined && (buyer === null || typeof buyer !== "object")) {
    throw new InvoiceDraftError("buyer", "must be an object");
  }
  const buyerName = optionalDraftText(buyer?.name, "buyer.name");
  if (buyerName !== undefined) invoice.BuyerName = buyerName;
  const buyerNtn = optionalDraftText(buyer?.ntn, "buyer.ntn");
  if (buyerNtn !== undefined) invoice.BuyerNTN = buyerNtn;
  const buyerCnic = optionalDraftText(buyer?.cnic, "buyer.cnic");
  if (buyerCnic !== undefined) invoice.BuyerCNIC = buyerCnic;
  const buyerPhone = optionalDraftText(buyer?.phoneNumber, "buyer.phoneNumber");
  if (buyerPhone !== undefined) invoice.BuyerPhoneNumber = buyerPhone;
  return invoice;
}
