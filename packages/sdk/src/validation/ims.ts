// validateImsInvoice: every problem in an IMS (Tier-1 POS) invoice in one pass. FBR publishes no IMS error
// catalogue (spec §11), so the codes are Raseed's own ("RIMS01".., docs/errors.md); the rules are the field
// table of FBR's IMS guide: enums, PCT code, USIN, DateTime, and header totals that are the sums of the items.
import type { Decimal } from "decimal.js";
import type { FbrErrorCode } from "../errors/catalogue.ts";
import { TaxDecimal } from "../tax/decimal.ts";
import { isRealWallClock, wallClockParts } from "../time/pakistan-time.ts";
import {
  IMS_CORRECTING_INVOICE_TYPES,
  IMS_CORRECTING_ITEM_TYPES,
  IMS_INVOICE_TYPES,
  IMS_ITEM_INVOICE_TYPES,
  IMS_PAYMENT_MODES,
} from "../wire/ims-codes.ts";
import { isValidCnic, isValidNtn, isValidPctCode } from "./identifiers.ts";
import { type NumericReading, readNumeric, scaledInteger, shownValue } from "./internal/numbers.ts";
import { IssueCollector } from "./issues.ts";
import type { ImsValidationContext, ValidationResult } from "./types.ts";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const PAYMENT_MODES: ReadonlySet<number> = new Set(Object.values(IMS_PAYMENT_MODES));
const INVOICE_TYPES: ReadonlySet<number> = new Set(Object.values(IMS_INVOICE_TYPES));
const ITEM_INVOICE_TYPES: ReadonlySet<number> = new Set(Object.values(IMS_ITEM_INVOICE_TYPES));
const CORRECTING_INVOICE_TYPES = IMS_CORRECTING_INVOICE_TYPES;
const CORRECTING_ITEM_TYPES = IMS_CORRECTING_ITEM_TYPES;
// "yyyy-MM-dd HH:mm:ss" as FBR's samples; the ISO "T" separator and fractional seconds are what .NET's
// DateTime binder also reads, so they are accepted too.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,7})?$/;

/**
 * How far a money header total may be from the sum of its items: Rs 1.00. "Header totals are sums" is
 * INFERRED (FBR-SPEC §11), and POS software that rounds the bill (1519.01 against items 1519.00) must not
 * be refused for it; beyond a rupee the totals are checked exactly. Quantities get no tolerance.
 */
export const IMS_HEADER_TOTAL_TOLERANCE_RUPEES = 1;

/**
 * Header totals and the item field each one sums (ims.json: "sum of item ..."), with the decimals compared
 * and the tolerance in those units (paisa for money).
 */
const SUMMED_TOTALS = [
  ["TotalSaleValue", "SaleValue", true, 2, IMS_HEADER_TOTAL_TOLERANCE_RUPEES * 100],
  ["TotalTaxCharged", "TaxCharged", true, 2, IMS_HEADER_TOTAL_TOLERANCE_RUPEES * 100],
  ["TotalQuantity", "Quantity", true, 4, 0],
  ["TotalBillAmount", "TotalAmount", true, 2, IMS_HEADER_TOTAL_TOLERANCE_RUPEES * 100],
  ["Discount", "Discount", false, 2, IMS_HEADER_TOTAL_TOLERANCE_RUPEES * 100],
  ["FurtherTax", "FurtherTax", false, 2, IMS_HEADER_TOTAL_TOLERANCE_RUPEES * 100],
] as const;

const ITEM_NUMBERS = [
  ["Quantity", true, 4],
  ["TaxRate", true, undefined],
  ["SaleValue", true, 2],
  ["Discount", false, 2],
  ["FurtherTax", false, 2],
  ["TaxCharged", true, 2],
  ["TotalAmount", true, 2],
] as const;

/** A whole number from a JSON number or numeric string; undefined otherwise. */
function wholeNumber(value: unknown): number | undefined {
  const reading = readNumeric(value);
  if (reading.state !== "ok" || reading.decimals !== 0) return undefined;
  const number = Number(reading.value);
  return Number.isSafeInteger(number) ? number : undefined;
}

function isRealDateTime(text: string): boolean {
  const match = DATE_TIME.exec(text);
  return match !== null && isRealWallClock(wallClockParts(match.slice(1, 7)));
}

function checkText(
  value: unknown,
  maxLength: number,
  required: boolean,
): "ok" | "missing" | "tooLong" | "notText" {
  if (value === undefined || value === null || value === "") return required ? "missing" : "ok";
  if (typeof value !== "string") return "notText";
  if (required && value.trim() === "") return "missing";
  return value.length > maxLength ? "tooLong" : "ok";
}

/**
 * "POSID is missing; it must be a positive whole number." when the field is absent, else
 * "PaymentMode 9 is not 1-6.": the value is shown only when there is one.
 */
function valueProblem(field: string, value: unknown, problem: string, requirement: string): string {
  if (value === undefined || value === null) return `${field} is missing; it must be ${requirement}.`;
  return `${field} ${shownValue(value)} ${problem}.`;
}

/** Messages for a required text field, by what `checkText` found. */
function textProblem(
  field: string,
  value: unknown,
  found: "missing" | "tooLong" | "notText",
  maxLength: number,
): string {
  if (found === "tooLong") return `${field} ${shownValue(value)} is longer than ${maxLength} characters.`;
  if (found === "notText")
    return `${field} ${shownValue(value)} is not text; it must be text of at most ${maxLength} characters.`;
  return `${field} is missing; it must be text of at most ${maxLength} characters.`;
}

/**
 * Validates an IMS invoice (the PascalCase model of FBR's fiscal component / PostData) and reports every
 * problem in one pass. Numbers may be JSON numbers or numeric strings.
 */
export function validateImsInvoice(input: unknown, context: ImsValidationContext = {}): ValidationResult {
  const out = new IssueCollector();
  if (!isObject(input)) {
    out.header(
      "RIMS01",
      "",
      `The invoice must be a JSON object, got ${Array.isArray(input) ? "an array" : shownValue(input)}.`,
    );
    return { valid: false, issues: out.issues };
  }

  const posId = wholeNumber(input.POSID);
  if (posId === undefined || posId <= 0) {
    out.header(
      "RIMS02",
      "POSID",
      valueProblem("POSID", input.POSID, "is not a positive whole number", "a positive whole number"),
    );
  } else if (context.posId !== undefined && posId !== context.posId) {
    out.header(
      "RIMS02",
      "POSID",
      `POSID ${posId} is not this till's POS registration number (${context.posId}).`,
    );
  }

  const usin = checkText(input.USIN, 50, true);
  if (usin !== "ok") {
    out.header("RIMS03", "USIN", textProblem("USIN", input.USIN, usin, 50));
  }

  if (typeof input.DateTime !== "string" || !isRealDateTime(input.DateTime)) {
    out.header(
      "RIMS04",
      "DateTime",
      valueProblem(
        "DateTime",
        input.DateTime,
        "is not a real yyyy-MM-dd HH:mm:ss time",
        "a yyyy-MM-dd HH:mm:ss time",
      ),
    );
  }

  const paymentMode = wholeNumber(input.PaymentMode);
  if (paymentMode === undefined || !PAYMENT_MODES.has(paymentMode)) {
    out.header("RIMS05", "PaymentMode", valueProblem("PaymentMode", input.PaymentMode, "is not 1-6", "1-6"));
  }
  const invoiceType = wholeNumber(input.InvoiceType);
  if (invoiceType === undefined || !INVOICE_TYPES.has(invoiceType)) {
    out.header(
      "RIMS06",
      "InvoiceType",
      valueProblem("InvoiceType", input.InvoiceType, "is not 1, 2 or 3", "1, 2 or 3"),
    );
  }
  const headerRefUsin = checkText(input.RefUSIN, 50, false);
  const hasHeaderRefUsin = typeof input.RefUSIN === "string" && input.RefUSIN.trim() !== "";
  if (invoiceType !== undefined && CORRECTING_INVOICE_TYPES.has(invoiceType) && !hasHeaderRefUsin) {
    out.header(
      "RIMS11",
      "RefUSIN",
      `InvoiceType ${invoiceType} (${invoiceType === 2 ? "debit" : "credit"}) needs RefUSIN.`,
    );
  } else if (headerRefUsin !== "ok") {
    out.header(
      "RIMS11",
      "RefUSIN",
      `RefUSIN ${shownValue(input.RefUSIN)} must be text of at most 50 characters.`,
    );
  }

  checkBuyer(input, out);

  const headerNumbers = new Map<string, NumericReading>();
  for (const [total, , required, decimals] of SUMMED_TOTALS) {
    const reading = readNumeric(input[total]);
    headerNumbers.set(total, reading);
    reportNumber(reading, input[total], total, required, decimals, out, undefined);
  }

  const items = input.Items;
  if (!Array.isArray(items) || items.length === 0) {
    out.header("RIMS01", "Items", `Items must be a non-empty array of lines, got ${shownValue(items)}.`);
    return { valid: false, issues: out.issues };
  }

  // The item values each header total sums; undefined once any item's value is unreadable.
  const addends = new Map<string, NumericReading[] | undefined>(SUMMED_TOTALS.map(([total]) => [total, []]));
  items.forEach((item: unknown, index) => {
    if (!isObject(item)) {
      out.imsItem("RIMS01", index, "", `Line ${index + 1} must be a JSON object, got ${shownValue(item)}.`);
      for (const [total] of SUMMED_TOTALS) addends.set(total, undefined);
      return;
    }
    const readings = checkItem(item, index, hasHeaderRefUsin, out);
    for (const [total, itemField, required] of SUMMED_TOTALS) {
      const reading = readings.get(itemField);
      const list = addends.get(total);
      if (list === undefined || reading === undefined) continue;
      if (reading.state === "ok") list.push(reading);
      else if (reading.state !== "missing" || required) addends.set(total, undefined);
    }
  });

  // Header totals equal the sums of the items, rounded half-up to 2 decimals (4 for quantity), give or
  // take the bill-rounding tolerance for money.
  for (const [total, itemField, , decimals, toleranceUnits] of SUMMED_TOTALS) {
    const header = headerNumbers.get(total);
    const list = addends.get(total);
    if (header === undefined || header.state !== "ok" || list === undefined) continue;
    const expected = sumRoundedHalfUp(list, decimals);
    if (!closeEnough(header, expected, decimals, toleranceUnits)) {
      out.header(
        "RIMS10",
        total,
        `${total} ${String(header.value)} is not the sum of the items' ${itemField} (${sumText(expected, decimals)}).`,
      );
    }
  }
  return { valid: out.issues.length === 0, issues: out.issues };
}

interface RoundedSum {
  /** Whole 1/10^decimals units, when the sum was done in exact integers. */
  scaled?: number;
  decimal?: Decimal;
}

function sumText(sum: RoundedSum, decimals: number): string {
  return (sum.decimal ?? new TaxDecimal(sum.scaled ?? 0).dividedBy(10 ** decimals)).toFixed(decimals);
}

/**
 * The sum of the readings rounded ROUND_HALF_UP to `decimals`. Values with at most `decimals` decimals are
 * summed exactly as whole paisa (integers, no float error); anything finer goes through decimal.js.
 */
function sumRoundedHalfUp(readings: readonly NumericReading[], decimals: number): RoundedSum {
  let scaled = 0;
  for (const reading of readings) {
    const units = scaledInteger(reading, decimals);
    if (units === undefined) return decimalSum(readings, decimals);
    scaled += units;
  }
  if (!Number.isSafeInteger(scaled)) return decimalSum(readings, decimals);
  return { scaled };
}

function decimalSum(readings: readonly NumericReading[], decimals: number): RoundedSum {
  let sum = new TaxDecimal(0);
  for (const reading of readings) if (reading.state === "ok") sum = sum.plus(reading.value);
  const rounded = sum.toDecimalPlaces(decimals, TaxDecimal.ROUND_HALF_UP);
  return { decimal: rounded };
}

/** The header within `toleranceUnits` (1/10^decimals units) of the expected sum. */
function closeEnough(
  header: NumericReading,
  expected: RoundedSum,
  decimals: number,
  toleranceUnits: number,
): boolean {
  const headerUnits = scaledInteger(header, decimals);
  if (expected.scaled !== undefined && headerUnits !== undefined) {
    return Math.abs(headerUnits - expected.scaled) <= toleranceUnits;
  }
  if (header.state !== "ok") return false;
  const wanted = expected.decimal ?? new TaxDecimal(expected.scaled ?? 0).dividedBy(10 ** decimals);
  const tolerance = new TaxDecimal(toleranceUnits).dividedBy(10 ** decimals);
  return new TaxDecimal(header.value).minus(wanted).abs().lessThanOrEqualTo(tolerance);
}

function checkBuyer(input: JsonObject, out: IssueCollector): void {
  const ntn = input.BuyerNTN;
  if (
    ntn !== undefined &&
    ntn !== null &&
    ntn !== "" &&
    (typeof ntn !== "string" || !isValidNtn(ntn, { allowCheckDigit: true }))
  ) {
    out.header("RIMS13", "BuyerNTN", `BuyerNTN ${shownValue(ntn)} is not 1234567 or 1234567-8.`);
  }
  const cnic = input.BuyerCNIC;
  if (
    cnic !== undefined &&
    cnic !== null &&
    cnic !== "" &&
    (typeof cnic !== "string" || !isValidCnic(cnic))
  ) {
    out.header("RIMS13", "BuyerCNIC", `BuyerCNIC ${shownValue(cnic)} is not 13 digits without dashes.`);
  }
  if (checkText(input.BuyerName, 150, false) !== "ok") {
    out.header("RIMS13", "BuyerName", "BuyerName must be text of at most 150 characters.");
  }
  if (checkText(input.BuyerPhoneNumber, 20, false) !== "ok") {
    out.header("RIMS13", "BuyerPhoneNumber", "BuyerPhoneNumber must be text of at most 20 characters.");
  }
}

function checkItem(
  item: JsonObject,
  index: number,
  hasHeaderRefUsin: boolean,
  out: IssueCollector,
): Map<string, NumericReading> {
  const itemCode = checkText(item.ItemCode, 50, true);
  if (itemCode !== "ok") {
    out.imsItem("RIMS12", index, "ItemCode", textProblem("ItemCode", item.ItemCode, itemCode, 50));
  }
  const itemName = checkText(item.ItemName, 150, true);
  if (itemName !== "ok") {
    out.imsItem("RIMS12", index, "ItemName", textProblem("ItemName", item.ItemName, itemName, 150));
  }
  // PCTCode: varchar(8), digits only; a JSON number would lose leading zeros (01011000), so text is required.
  if (typeof item.PCTCode !== "string" || !isValidPctCode(item.PCTCode)) {
    out.imsItem(
      "RIMS08",
      index,
      "PCTCode",
      valueProblem(
        "PCTCode",
        item.PCTCode,
        "is not 1-8 digits as text (no dot)",
        "1-8 digits as text (no dot)",
      ),
    );
  }
  const itemType = wholeNumber(item.InvoiceType);
  if (itemType === undefined || !ITEM_INVOICE_TYPES.has(itemType)) {
    out.imsItem(
      "RIMS07",
      index,
      "InvoiceType",
      valueProblem("InvoiceType", item.InvoiceType, "is not 1, 3, 11 or 12", "1, 3, 11 or 12"),
    );
  } else if (
    CORRECTING_ITEM_TYPES.has(itemType) &&
    !hasHeaderRefUsin &&
    (typeof item.RefUSIN !== "string" || item.RefUSIN.trim() === "")
  ) {
    out.imsItem(
      "RIMS11",
      index,
      "RefUSIN",
      `A credit line (InvoiceType ${itemType}) needs RefUSIN on the line or the header.`,
      "Give RefUSIN: the USIN of the original sale being credited.",
    );
  }

  const readings = new Map<string, NumericReading>();
  for (const [field, required, decimals] of ITEM_NUMBERS) {
    const reading = readNumeric(item[field]);
    readings.set(field, reading);
    reportNumber(reading, item[field], field, required, decimals, out, index);
  }
  return readings;
}

function reportNumber(
  reading: NumericReading,
  raw: unknown,
  field: string,
  required: boolean,
  maxDecimals: number | undefined,
  out: IssueCollector,
  index: number | undefined,
): void {
  let code: FbrErrorCode | undefined;
  let message = "";
  if (reading.state === "missing") {
    if (!required) return;
    code = "RIMS09";
    message = `${field} is ${shownValue(raw)}; it is compulsory.`;
  } else if (reading.state === "invalid") {
    code = "RIMS09";
    message = `${field} ${reading.shown} is not a number.`;
  } else if (maxDecimals !== undefined && reading.decimals > maxDecimals) {
    code = "RIMS14";
    message = `${field} ${String(reading.value)} has ${reading.decimals} decimals; at most ${maxDecimals}.`;
  }
  if (code === undefined) return;
  if (index === undefined) out.header(code, field, message);
  else out.imsItem(code, index, field, message);
}
