// The one normalisation of IMS input (FBR-SPEC §11), used by every IMS entry point: the POS bridge's local
// contract, `raseed validate --kind ims`, the simulator's PostData and the gateway's POST /v1/ims/invoices.
// Real tills and FBR's own documents write the same sale in many spellings (camelCase keys, numbers as text,
// a dashed BuyerCNIC, ISO or .NET dates, enum names); each entry point takes them the same way, turning them
// into FBR's wire model, and `checkImsInvoice` adds the business rules of `validateImsInvoice` on top.
import type { FbrErrorCode } from "../errors/catalogue.ts";
import {
  isRealWallClock,
  PAKISTAN_UTC_OFFSET_MS,
  pakistanDateTime,
  wallClockParts,
} from "../time/pakistan-time.ts";
import type { ImsInvoice, ImsItem } from "../wire/ims.ts";
import {
  IMS_INVOICE_TYPE_LABELS,
  IMS_INVOICE_TYPES,
  IMS_ITEM_INVOICE_TYPE_LABELS,
  IMS_PAYMENT_MODE_LABELS,
  IMS_PAYMENT_MODES,
} from "../wire/ims-codes.ts";
import { validateImsInvoice } from "./ims.ts";
import { IssueCollector } from "./issues.ts";
import type { ImsValidationContext, ValidationIssue } from "./types.ts";

/**
 * The catalogue's Raseed IMS code (origin "raseed"; FBR publishes none) for a problem with a field, so the
 * normaliser and `validateImsInvoice` name a problem the same way.
 */
function imsProblemCode(field: string, item: number | null): FbrErrorCode {
  switch (field) {
    case "":
    case "Items":
      return "RIMS01";
    case "POSID":
      return "RIMS02";
    case "USIN":
      return "RIMS03";
    case "DateTime":
      return "RIMS04";
    case "PaymentMode":
      return "RIMS05";
    case "InvoiceType":
      return item === null ? "RIMS06" : "RIMS07";
    case "PCTCode":
      return "RIMS08";
    case "RefUSIN":
      return "RIMS11";
    case "ItemCode":
    case "ItemName":
      return "RIMS12";
    case "BuyerName":
    case "BuyerNTN":
    case "BuyerCNIC":
    case "BuyerPhoneNumber":
      return "RIMS13";
    default:
      return "RIMS09";
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Field look-up that ignores letter case: .NET serializers send PascalCase, JavaScript POS software often
 * camelCase, and FBR's own KB sample spells the list "items".
 */
function pick(source: JsonObject, name: string): unknown {
  if (name in source) return source[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(source)) {
    if (key.toLowerCase() === lower) return source[key];
  }
  return undefined;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

const NUMERIC_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Problems with a field of the header (`item` null) or of line `item` (1-based), coded by field. */
class ProblemCollector {
  readonly #issues = new IssueCollector();

  get problems(): ValidationIssue[] {
    return this.#issues.issues;
  }

  add(field: string, item: number | null, message: string, fix?: string): void {
    const code = imsProblemCode(field, item);
    if (item === null) this.#issues.header(code, field, message, fix);
    else this.#issues.imsItem(code, item - 1, field === "Items" ? "" : field, message, fix);
  }
}

interface FieldContext {
  source: JsonObject;
  field: string;
  item: number | null;
  problems: ProblemCollector;
  /** What the field must be, for the message when it is missing ("a positive whole number"). */
  requirement?: string;
}

/** "POSID is missing; it must be a positive whole number.": says what is missing and what it must be. */
function reportMissing(ctx: FieldContext, kind: "a number" | "text"): void {
  ctx.problems.add(
    ctx.field,
    ctx.item,
    `${ctx.field} is missing; it must be ${ctx.requirement ?? kind}.`,
    `Send ${ctx.field} as ${kind}.`,
  );
}

/** Longest text a reply quotes back; a POS may send a megabyte in one field. */
const QUOTED_TEXT_LIMIT = 60;

/**
 * Describes a received value for a message without walking into it (a nested body must not cost a deep
 * JSON.stringify, nor be echoed back whole): `"abc"`, `12`, `true`, `an object`, `a list of 3`.
 */
function describeReceived(raw: unknown): string {
  if (typeof raw === "string")
    return raw.length <= QUOTED_TEXT_LIMIT
      ? JSON.stringify(raw)
      : `${JSON.stringify(`${raw.slice(0, QUOTED_TEXT_LIMIT)}…`)} (${raw.length} characters)`;
  if (Array.isArray(raw)) return `a list of ${raw.length}`;
  if (typeof raw === "object" && raw !== null) return "an object";
  return String(raw);
}

/** Numbers may arrive as JSON numbers or numeric strings ("1298.00"); thousands separators are refused. */
function readNumber(ctx: FieldContext, required: boolean): number | undefined {
  const raw = pick(ctx.source, ctx.field);
  if (isAbsent(raw)) {
    if (required) reportMissing(ctx, "a number");
    return undefined;
  }
  if (typeof raw === "number" && Number.isFinite(raw)) return raw;
  if (typeof raw === "string" && NUMERIC_TEXT.test(raw.trim())) return Number(raw.trim());
  ctx.problems.add(
    ctx.field,
    ctx.item,
    `${ctx.field} must be a number; received ${describeReceived(raw)}.`,
    `Send ${ctx.field} as a plain number such as 1298 or "1298.00" (no commas or currency signs).`,
  );
  return undefined;
}

function readInteger(
  ctx: FieldContext,
  allowed: Readonly<Record<number, string>>,
  enumNames: Readonly<Record<string, number>>,
): number | undefined {
  const raw = pick(ctx.source, ctx.field);
  // C# enums serialised with StringEnumConverter arrive by name ("Cash", "Credit").
  if (typeof raw === "string") {
    const byName = enumNames[raw.replace(/\s+/g, "").toLowerCase()];
    if (byName !== undefined) return byName;
  }
  const choices = Object.entries(allowed)
    .map(([code, name]) => `${code} ${name}`)
    .join(", ");
  const value = readNumber({ ...ctx, requirement: `one of: ${choices}` }, true);
  if (value === undefined) return undefined;
  if (!Number.isInteger(value)) {
    ctx.problems.add(ctx.field, ctx.item, `${ctx.field} must be a whole number; received ${value}.`);
    return undefined;
  }
  if (allowed[value] === undefined) {
    ctx.problems.add(
      ctx.field,
      ctx.item,
      `${ctx.field} ${value} is not one of: ${choices}.`,
      `Send one of ${Object.keys(allowed).join(", ")}.`,
    );
    return undefined;
  }
  return value;
}

/** Strings may arrive as numbers (USIN 1001); an absent optional string stays absent. */
function readString(ctx: FieldContext, required: boolean): string | undefined {
  const raw = pick(ctx.source, ctx.field);
  if (isAbsent(raw)) {
    if (required) reportMissing(ctx, "text");
    return undefined;
  }
  if (typeof raw === "string") return raw.trim();
  if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
  ctx.problems.add(ctx.field, ctx.item, `${ctx.field} must be text; received ${describeReceived(raw)}.`);
  return undefined;
}

const WIRE_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const DOTNET_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

function offsetMs(text: string): number {
  if (text.toUpperCase() === "Z") return 0;
  const sign = text.startsWith("-") ? -1 : 1;
  const digits = text.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}

/** The instant on a Pakistan wall clock, or undefined beyond the range a Date holds. */
function pakistanWallClock(epochMs: number): string | undefined {
  return Number.isNaN(new Date(epochMs).getTime()) ? undefined : pakistanDateTime(epochMs);
}

/**
 * Normalises an IMS `DateTime` to FBR's `yyyy-MM-dd HH:mm:ss` (FBR-SPEC §11). Accepted: that form, ISO 8601
 * (Newtonsoft's `2021-05-10T12:30:45.1234567+05:00`, with `Z`, or with no zone), and the .NET JSON dates
 * `/Date(ms)/` and `/Date(ms+0500)/`. Times that carry a zone are shown as Pakistan wall-clock time; times
 * without one are taken as already local. Returns undefined for anything else or an impossible date.
 */
export function normaliseImsDateTime(raw: string): string | undefined {
  const text = raw.trim();
  const dotnet = DOTNET_DATE.exec(text);
  // .NET JSON dates count milliseconds since the Unix epoch in UTC; the zone suffix only says how to show it.
  if (dotnet !== null) return pakistanWallClock(Number(dotnet[1]));
  const match = WIRE_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const parts = wallClockParts(match.slice(1, 7));
  // Date.UTC would roll 2021-02-30 over to March; such a date does not exist.
  if (!isRealWallClock(parts)) return undefined;
  const [y, mo, d, h, mi, s] = parts;
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const zone = match[7];
  // Without a zone the time is already Pakistan's wall clock; with one it is an instant to show in PKT.
  const instant = zone === undefined ? asUtc - PAKISTAN_UTC_OFFSET_MS : asUtc - offsetMs(zone);
  return pakistanWallClock(instant);
}

/**
 * BuyerCNIC is varchar(13) (FBR-SPEC §11), yet FBR's own KB sample writes it with dashes (15 characters):
 * a dashed CNIC that is 13 digits without its dashes is sent as those 13 digits.
 */
function compactCnic(cnic: string | undefined): string | undefined {
  if (cnic === undefined) return undefined;
  const digits = cnic.replace(/-/g, "");
  return /^\d{5}-\d{7}-\d$/.test(cnic) && digits.length === 13 ? digits : cnic;
}

/** Codes by lower-cased name without spaces, for C# enums sent by name ("Cash", "GiftVoucher", "Credit"). */
function codesByName(codes: Readonly<Record<string, number>>): Readonly<Record<string, number>> {
  return Object.fromEntries(Object.entries(codes).map(([name, code]) => [name.toLowerCase(), code]));
}
const PAYMENT_MODE_NAMES = codesByName(IMS_PAYMENT_MODES);
const INVOICE_TYPE_NAMES = codesByName(IMS_INVOICE_TYPES);

function decodeItem(raw: unknown, index: number, problems: ProblemCollector): ImsItem | undefined {
  const itemNo = index + 1;
  if (!isObject(raw)) {
    problems.add("Items", itemNo, `Item ${itemNo} must be an object.`);
    return undefined;
  }
  const ctx = (field: string): FieldContext => ({ source: raw, field, item: itemNo, problems });
  const before = problems.problems.length;
  const ItemCode = readString(ctx("ItemCode"), true);
  const ItemName = readString(ctx("ItemName"), true);
  const PCTCode = readString(ctx("PCTCode"), true);
  const Quantity = readNumber(ctx("Quantity"), true);
  const TaxRate = readNumber(ctx("TaxRate"), true);
  const SaleValue = readNumber(ctx("SaleValue"), true);
  const Discount = readNumber(ctx("Discount"), false) ?? 0;
  const FurtherTax = readNumber(ctx("FurtherTax"), false) ?? 0;
  const TaxCharged = readNumber(ctx("TaxCharged"), true);
  const TotalAmount = readNumber(ctx("TotalAmount"), true);
  const InvoiceType = readInteger(ctx("InvoiceType"), IMS_ITEM_INVOICE_TYPE_LABELS, INVOICE_TYPE_NAMES);
  const RefUSIN = readString(ctx("RefUSIN"), false);
  if (problems.problems.length > before) return undefined;
  const item: ImsItem = {
    ItemCode: ItemCode as string,
    ItemName: ItemName as string,
    PCTCode: PCTCode as string,
    Quantity: Quantity as number,
    TaxRate: TaxRate as number,
    SaleValue: SaleValue as number,
    Discount,
    FurtherTax,
    TaxCharged: TaxCharged as number,
    TotalAmount: TotalAmount as number,
    InvoiceType: InvoiceType as number,
  };
  if (RefUSIN !== undefined) item.RefUSIN = RefUSIN;
  return item;
}

/**
 * The IMS model is three levels deep (invoice, Items, item); anything far deeper is not an invoice. Kept as
 * a cheap first line, not as a crash guard: neither this codec nor the sdk's `validateImsInvoice` walks
 * into a value recursively any more (both have tests at 100,000 levels), but one clear problem reads better
 * than a type error per field, and it stops the work before the business rules run.
 */
const MAX_NESTING = 8;

/** Nesting depth of a JSON value, counted without recursion and given up past `limit`. */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== "object" || current === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current))
      stack.push([child, depth + 1]);
  }
  return deepest;
}

export interface ImsInputOptions {
  /**
   * Fills a missing or zero POSID: FBR's Windows component, not the POS, holds the registration, so a till
   * talking to its own component (or a bridge port that serves one till) need not send it.
   */
  defaultPosId?: number;
}

/** What `normaliseImsInvoice` made of the input. */
export type ImsNormalisation =
  | { ok: true; invoice: ImsInvoice }
  | {
      ok: false;
      /** Every problem the normaliser found (types, required fields, enums, dates), in one pass. */
      issues: ValidationIssue[];
      /** The input with FBR's casing and normalised dates and CNIC, values otherwise as sent. */
      partial: Record<string, unknown>;
    };

/**
 * The one normalisation of IMS input (FBR-SPEC §11): turns a sale as tills and FBR's own documents write it
 * into FBR's wire model, or reports every problem it finds in one pass. Accepted spellings:
 * - keys in any letter case (PascalCase from .NET, camelCase from JavaScript, FBR's KB "items");
 * - numbers as JSON numbers or numeric text ("1298.00"), never with thousands separators;
 * - DateTime as "yyyy-MM-dd HH:mm:ss", ISO 8601 (with or without a zone) or .NET "/Date(ms)/";
 * - BuyerCNIC with dashes ("42101-1234567-8", as FBR's KB sample writes it), sent as its 13 digits;
 * - PaymentMode and InvoiceType as codes or as C# enum names ("Cash", "Credit").
 * Blank optional fields are left out; a missing TotalQuantity is the sum of the items. The business rules
 * (sums, RefUSIN, PCT codes, ...) are `validateImsInvoice`'s; `checkImsInvoice` runs both.
 * @example normaliseImsInvoice(kbSample).ok // true: FBR's KB sample, dashed CNIC and all
 */
export function normaliseImsInvoice(body: unknown, options: ImsInputOptions = {}): ImsNormalisation {
  const problems = new ProblemCollector();
  if (!isObject(body)) {
    problems.add("", null, "The request body must be one JSON object (the IMS invoice model).");
    return { ok: false, issues: problems.problems, partial: {} };
  }
  if (nestingDepth(body, MAX_NESTING) > MAX_NESTING) {
    problems.add(
      "",
      null,
      `The body is nested more than ${MAX_NESTING} levels deep; the IMS model is an invoice with a list of items.`,
    );
    return { ok: false, issues: problems.problems, partial: {} };
  }
  const ctx = (field: string): FieldContext => ({
    source: body,
    field,
    item: null,
    problems,
  });

  let POSID = readNumber(
    { ...ctx("POSID"), requirement: "a positive whole number" },
    options.defaultPosId === undefined,
  );
  if ((POSID === undefined || POSID === 0) && options.defaultPosId !== undefined)
    POSID = options.defaultPosId;
  if (POSID !== undefined && (!Number.isSafeInteger(POSID) || POSID <= 0)) {
    problems.add("POSID", null, `POSID must be a positive whole number.`);
  }
  // USIN is varchar(50) (FBR-SPEC §11); the length is the validator's to check.
  const USIN = readString({ ...ctx("USIN"), requirement: "text of at most 50 characters" }, true);
  const RefUSIN = readString(ctx("RefUSIN"), false);
  const rawDate = pick(body, "DateTime");
  const DateTime = typeof rawDate === "string" ? normaliseImsDateTime(rawDate) : undefined;
  if (isAbsent(rawDate)) {
    problems.add("DateTime", null, "DateTime is required.", 'Send the sale time as "yyyy-MM-dd HH:mm:ss".');
  } else if (DateTime === undefined) {
    problems.add(
      "DateTime",
      null,
      `DateTime ${describeReceived(rawDate)} is not a date and time FBR's IMS model can carry.`,
      'Send "yyyy-MM-dd HH:mm:ss" (ISO 8601 and .NET "/Date(ms)/" are accepted too).',
    );
  }
  const BuyerName = readString(ctx("BuyerName"), false);
  const BuyerNTN = readString(ctx("BuyerNTN"), false);
  const BuyerCNIC = compactCnic(readString(ctx("BuyerCNIC"), false));
  const BuyerPhoneNumber = readString(ctx("BuyerPhoneNumber"), false);
  const TotalSaleValue = readNumber(ctx("TotalSaleValue"), true);
  const TotalTaxCharged = readNumber(ctx("TotalTaxCharged"), true);
  const TotalQuantityGiven = readNumber(ctx("TotalQuantity"), false);
  const Discount = readNumber(ctx("Discount"), false) ?? 0;
  const FurtherTax = readNumber(ctx("FurtherTax"), false) ?? 0;
  const TotalBillAmount = readNumber(ctx("TotalBillAmount"), true);
  const PaymentMode = readInteger(ctx("PaymentMode"), IMS_PAYMENT_MODE_LABELS, PAYMENT_MODE_NAMES);
  const InvoiceType = readInteger(ctx("InvoiceType"), IMS_INVOICE_TYPE_LABELS, INVOICE_TYPE_NAMES);

  const rawItems = pick(body, "Items");
  const items: ImsItem[] = [];
  if (!Array.isArray(rawItems) || rawItems.length === 0) {
    problems.add(
      "Items",
      null,
      Array.isArray(rawItems) ? "Items must list at least one item." : "Items is required (a list of items).",
    );
  } else {
    rawItems.forEach((raw, index) => {
      const item = decodeItem(raw, index, problems);
      if (item !== undefined) items.push(item);
    });
  }

  if (problems.problems.length > 0) {
    return { ok: false, issues: problems.problems, partial: normaliseLoosely(body, options) };
  }

  const invoice: ImsInvoice = {
    // FBR-SPEC §11: the POS sends InvoiceNumber blank; FBR assigns it.
    InvoiceNumber: "",
    POSID: POSID as number,
    USIN: USIN as string,
    DateTime: DateTime as string,
    TotalSaleValue: TotalSaleValue as number,
    TotalTaxCharged: TotalTaxCharged as number,
    // Older KB text omits TotalQuantity; the model has it, so a missing one is the sum of the items.
    TotalQuantity: TotalQuantityGiven ?? sumQuantities(items),
    Discount,
    FurtherTax,
    TotalBillAmount: TotalBillAmount as number,
    PaymentMode: PaymentMode as number,
    InvoiceType: InvoiceType as number,
    Items: items,
  };
  if (RefUSIN !== undefined) invoice.RefUSIN = RefUSIN;
  if (BuyerName !== undefined) invoice.BuyerName = BuyerName;
  if (BuyerNTN !== undefined) invoice.BuyerNTN = BuyerNTN;
  if (BuyerCNIC !== undefined) invoice.BuyerCNIC = BuyerCNIC;
  if (BuyerPhoneNumber !== undefined) invoice.BuyerPhoneNumber = BuyerPhoneNumber;
  return { ok: true, invoice };
}

const HEADER_FIELDS = [
  "InvoiceNumber",
  "POSID",
  "USIN",
  "RefUSIN",
  "DateTime",
  "BuyerName",
  "BuyerNTN",
  "BuyerCNIC",
  "BuyerPhoneNumber",
  "TotalSaleValue",
  "TotalTaxCharged",
  "TotalQuantity",
  "Discount",
  "FurtherTax",
  "TotalBillAmount",
  "PaymentMode",
  "InvoiceType",
] as const;
const ITEM_FIELDS = [
  "ItemCode",
  "ItemName",
  "PCTCode",
  "Quantity",
  "TaxRate",
  "SaleValue",
  "Discount",
  "FurtherTax",
  "TaxCharged",
  "TotalAmount",
  "InvoiceType",
  "RefUSIN",
] as const;

function recase(source: JsonObject, fields: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const value = pick(source, field);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/**
 * For a body that did not decode: FBR's field casing, with the values as sent, so the sdk's validation can
 * still report the business-rule problems in the same reply (every problem in one pass).
 */
function normaliseLoosely(body: JsonObject, options: ImsInputOptions): Record<string, unknown> {
  const out = recase(body, HEADER_FIELDS);
  // The same default as a decoded body, or a till that omits POSID gets a spurious RIMS02.
  if ((isAbsent(out.POSID) || out.POSID === 0 || out.POSID === "0") && options.defaultPosId !== undefined)
    out.POSID = options.defaultPosId;
  const items = pick(body, "Items");
  out.Items = Array.isArray(items)
    ? items.map((item) => (isObject(item) ? recase(item, ITEM_FIELDS) : item))
    : items;
  if (typeof out.DateTime === "string") out.DateTime = normaliseImsDateTime(out.DateTime) ?? out.DateTime;
  // The same CNIC normalisation as a decoded body, or FBR's dashed KB form gets a spurious RIMS13.
  if (typeof out.BuyerCNIC === "string") out.BuyerCNIC = compactCnic(out.BuyerCNIC);
  return out;
}

/** Quantities carry 4 decimals (FBR-SPEC §8); summing in ten-thousandths keeps float noise out. */
function sumQuantities(items: readonly ImsItem[]): number {
  const tenThousandths = items.reduce((sum, item) => sum + Math.round(item.Quantity * 10_000), 0);
  return tenThousandths / 10_000;
}

/**
 * Issues from several passes, without repeating a place an earlier pass already reported (paths compared
 * ignoring case): the normaliser's "TaxRate must be a number" stands, the validator's on the same field
 * does not pile on.
 */
function mergeIssues(...lists: readonly ValidationIssue[][]): ValidationIssue[] {
  const earlierPaths = new Set<string>();
  const merged: ValidationIssue[] = [];
  for (const list of lists) {
    merged.push(...list.filter((issue) => issue.path === "" || !earlierPaths.has(issue.path.toLowerCase())));
    for (const issue of list) earlierPaths.add(issue.path.toLowerCase());
  }
  return merged;
}

/** The verdict on an IMS sale as an entry point receives it. */
export interface ImsCheck {
  valid: boolean;
  issues: ValidationIssue[];
  /** FBR's wire model of the sale, whenever the input normalised (even if a business rule failed). */
  invoice?: ImsInvoice;
}

/**
 * What every IMS entry point runs on a sale it receives: `normaliseImsInvoice`, then `validateImsInvoice`
 * on the result (on the loosely normalised input when it did not normalise, so every problem is reported in
 * one pass). When valid, `invoice` is what to send to FBR.
 * @example const { valid, issues, invoice } = checkImsInvoice(JSON.parse(body), { posId: 110014 });
 */
export function checkImsInvoice(
  input: unknown,
  context: ImsValidationContext & ImsInputOptions = {},
): ImsCheck {
  const { defaultPosId, ...validationContext } = context;
  const normalised = normaliseImsInvoice(input, defaultPosId === undefined ? {} : { defaultPosId });
  const candidate = normalised.ok ? normalised.invoice : normalised.partial;
  const rules = validateImsInvoice(candidate, validationContext);
  const issues = mergeIssues(normalised.ok ? [] : normalised.issues, rules.issues);
  return normalised.ok
    ? { valid: issues.length === 0, issues, invoice: normalised.invoice }
    : { valid: false, issues };
}
