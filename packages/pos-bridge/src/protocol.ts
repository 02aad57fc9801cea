// The local contract of FBR's Windows IMS fiscal component (FBR-SPEC §11), as a pure codec:
// POS request bodies in → a normalised `ImsInvoice` (or every decoding problem), and the replies out.
// No I/O here; the server, journal and uploader build on it.
import type { ImsInvoice, ImsItem } from "@raseed/sdk";

/**
 * Reply codes the bridge answers with. FBR publishes no IMS catalogue (FBR-SPEC §11 "Error catalogue: not
 * published"), so only 100 and 102 are FBR's own (observed); the rest are Raseed's and documented in
 * docs/pos-bridge.md. A POS written for FBR's component treats anything but "100" as "no fiscal number".
 */
export const BRIDGE_REPLY_CODES = {
  /** FBR's success code (component sample). */
  success: "100",
  /** FBR's "Invalid data received" (observed); Raseed adds every problem in `Errors`. */
  invalidData: "102",
  /** Raseed: the request could not be read at all (malformed JSON, body too large, not an object). */
  unreadableRequest: "103",
  /** Raseed: no such resource or wrong HTTP method (FBR's cloud says "No matching resource found"). */
  noSuchResource: "104",
  /** Raseed: the bridge itself failed; the sale was not recorded, the POS may retry the same USIN. */
  bridgeFailure: "105",
  /** Raseed: `GetInvoiceNumberByUSIN` found no sale with that USIN. */
  unknownSale: "106",
  /**
   * Raseed: issued offline, pending FBR. The sale is journaled and will be uploaded in the background;
   * 150 echoes Rule 150XC (SRO 69(I)/2025), which has offline invoices marked "issued offline".
   */
  provisional: "150",
  /**
   * Raseed: this POSID already has a different sale (items, totals, buyer, type or RefUSIN) under the USIN.
   * USIN is the sale's identity, so the new sale is neither uploaded nor given the old sale's number.
   */
  usinConflict: "107",
} as const;

export type BridgeReplyCode = (typeof BRIDGE_REPLY_CODES)[keyof typeof BRIDGE_REPLY_CODES];

/** FBR's component's exact success text (FBR-SPEC §11 "Component success"). */
export const SUCCESS_RESPONSE_TEXT = "Fiscal Invoice Number generated successfully.";
/** The printable line a provisional reply and a provisional receipt carry. */
export const PROVISIONAL_RESPONSE_TEXT = "Issued offline, pending FBR";
/** What FBR's component puts in InvoiceNumber when it has no number (FBR-SPEC §11 rejection observed). */
export const NOT_AVAILABLE = "Not Available";
export const HEALTH_REPLY = ["Service is responding"] as const;

/** One problem in a request, as listed in a reply's `Errors`. */
export interface BridgeProblem {
  Code: string;
  /** FBR field name, e.g. "TaxRate". */
  Field: string;
  /** Where in the body, e.g. "Items[1].TaxRate" (0-based index, as the POS's array). */
  Path: string;
  /** 1-based item number, or null for header problems. */
  Item: number | null;
  Message: string;
  Fix?: string;
}

/** The reply body of `GetInvoiceNumberByModel`. Success is exactly FBR's four keys, in FBR's order. */
export interface BridgeReply {
  InvoiceNumber: string;
  Code: string;
  Response: string;
  Errors: BridgeProblem[] | null;
  /** Only on provisional replies: the sale's USIN and the fact it is provisional. */
  USIN?: string;
  Provisional?: true;
}

export function successReply(fbrInvoiceNumber: string): BridgeReply {
  return {
    InvoiceNumber: fbrInvoiceNumber,
    Code: BRIDGE_REPLY_CODES.success,
    Response: SUCCESS_RESPONSE_TEXT,
    Errors: null,
  };
}

export function provisionalReply(usin: string): BridgeReply {
  return {
    InvoiceNumber: NOT_AVAILABLE,
    Code: BRIDGE_REPLY_CODES.provisional,
    Response: PROVISIONAL_RESPONSE_TEXT,
    Errors: null,
    USIN: usin,
    Provisional: true,
  };
}

export function invalidDataReply(problems: BridgeProblem[]): BridgeReply {
  return {
    InvoiceNumber: NOT_AVAILABLE,
    Code: BRIDGE_REPLY_CODES.invalidData,
    Response: "Invalid data received",
    Errors: problems,
  };
}

export function errorReply(
  code: BridgeReplyCode | string,
  response: string,
  problems: BridgeProblem[],
): BridgeReply {
  return { InvoiceNumber: NOT_AVAILABLE, Code: code, Response: response, Errors: problems };
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/**
 * The sdk catalogue's Raseed IMS codes (origin "raseed"; FBR publishes none) for a problem with a field, so
 * the codec and `validateImsInvoice` name a problem the same way.
 */
export function imsProblemCode(field: string, item: number | null): string {
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

/** 1 Cash, 2 Card, 3 Gift Voucher, 4 Loyalty Card, 5 Mixed, 6 Cheque (FBR-SPEC §11 header table). */
export const PAYMENT_MODES: Readonly<Record<number, string>> = {
  1: "Cash",
  2: "Card",
  3: "Gift Voucher",
  4: "Loyalty Card",
  5: "Mixed",
  6: "Cheque",
};
/** Header InvoiceType: 1 New, 2 Debit, 3 Credit. */
export const INVOICE_TYPES: Readonly<Record<number, string>> = { 1: "New", 2: "Debit", 3: "Credit" };
/** Item InvoiceType: 1 New, 3 Credit, 11 3rd Schedule New, 12 3rd Schedule Credit [CONFIRMED]. */
export const ITEM_INVOICE_TYPES: Readonly<Record<number, string>> = {
  1: "New",
  3: "Credit",
  11: "3rd Schedule New",
  12: "3rd Schedule Credit",
};

export type DecodeResult =
  | { ok: true; invoice: ImsInvoice }
  | { ok: false; problems: BridgeProblem[]; partial: Record<string, unknown> };

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

class ProblemCollector {
  readonly problems: BridgeProblem[] = [];

  add(field: string, path: string, item: number | null, message: string, fix?: string): void {
    const problem: BridgeProblem = {
      Code: imsProblemCode(field, item),
      Field: field,
      Path: path,
      Item: item,
      Message: message,
    };
    if (fix !== undefined) problem.Fix = fix;
    this.problems.push(problem);
  }
}

interface FieldContext {
  source: JsonObject;
  field: string;
  pathPrefix: string;
  item: number | null;
  problems: ProblemCollector;
}

function fieldPath(ctx: FieldContext): string {
  return ctx.pathPrefix === "" ? ctx.field : `${ctx.pathPrefix}.${ctx.field}`;
}

function reportMissing(ctx: FieldContext, kind: "a number" | "text"): void {
  ctx.problems.add(
    ctx.field,
    fieldPath(ctx),
    ctx.item,
    `${ctx.field} is required.`,
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
    fieldPath(ctx),
    ctx.item,
    `${ctx.field} must be a number; received ${describeReceived(raw)}.`,
    `Send ${ctx.field} as a plain number such as 1298 or "1298.00" (no commas or currency signs).`,
  );
  return undefined;
}

function readInteger(
  ctx: FieldContext,
  allowed: Readonly<Record<number, string>> | null,
  enumNames?: Readonly<Record<string, number>>,
): number | undefined {
  const raw = pick(ctx.source, ctx.field);
  // C# enums serialised with StringEnumConverter arrive by name ("Cash", "Credit").
  if (typeof raw === "string" && enumNames !== undefined) {
    const byName = enumNames[raw.replace(/\s+/g, "").toLowerCase()];
    if (byName !== undefined) return byName;
  }
  const value = readNumber(ctx, true);
  if (value === undefined) return undefined;
  if (!Number.isInteger(value)) {
    ctx.problems.add(
      ctx.field,
      fieldPath(ctx),
      ctx.item,
      `${ctx.field} must be a whole number; received ${value}.`,
    );
    return undefined;
  }
  if (allowed !== null && allowed[value] === undefined) {
    const choices = Object.entries(allowed)
      .map(([code, name]) => `${code} ${name}`)
      .join(", ");
    ctx.problems.add(
      ctx.field,
      fieldPath(ctx),
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
  ctx.problems.add(
    ctx.field,
    fieldPath(ctx),
    ctx.item,
    `${ctx.field} must be text; received ${describeReceived(raw)}.`,
  );
  return undefined;
}

/** Pakistan Standard Time is UTC+05:00 all year (no daylight saving since 2009). */
const PKT_OFFSET_MINUTES = 5 * 60;

const WIRE_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const DOTNET_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

function formatWallClock(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

function offsetMinutes(text: string): number {
  if (text.toUpperCase() === "Z") return 0;
  const sign = text.startsWith("-") ? -1 : 1;
  const digits = text.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
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
  if (dotnet !== null) {
    const epochMs = Number(dotnet[1]);
    const wall = new Date(epochMs + PKT_OFFSET_MINUTES * 60_000);
    return Number.isNaN(wall.getTime()) ? undefined : formatWallClock(wall);
  }
  const match = WIRE_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, zone] = match;
  const parts = [year, month, day, hour, minute, second ?? "0"].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = parts;
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(asUtc);
  // Date.UTC rolls 2021-02-30 over to March; a roll-over means the date does not exist.
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  if (zone === undefined) return formatWallClock(check);
  const utcMs = asUtc - offsetMinutes(zone) * 60_000;
  return formatWallClock(new Date(utcMs + PKT_OFFSET_MINUTES * 60_000));
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

const PAYMENT_MODE_NAMES: Readonly<Record<string, number>> = {
  cash: 1,
  card: 2,
  giftvoucher: 3,
  loyaltycard: 4,
  mixed: 5,
  cheque: 6,
};
const INVOICE_TYPE_NAMES: Readonly<Record<string, number>> = { new: 1, debit: 2, credit: 3 };

function decodeItem(raw: unknown, index: number, problems: ProblemCollector): ImsItem | undefined {
  const itemNo = index + 1;
  const pathPrefix = `Items[${index}]`;
  if (!isObject(raw)) {
    problems.add("Items", pathPrefix, itemNo, `Item ${itemNo} must be an object.`);
    return undefined;
  }
  const ctx = (field: string): FieldContext => ({ source: raw, field, pathPrefix, item: itemNo, problems });
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
  const InvoiceType = readInteger(ctx("InvoiceType"), ITEM_INVOICE_TYPES, INVOICE_TYPE_NAMES);
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

/**
 * Decodes a POS request body into the IMS wire model. Reports every problem it finds in one pass (types,
 * required fields, enums, dates); the sdk's `validateImsInvoice` adds the business rules on top.
 * `defaultPosId` fills a missing or zero POSID (the component, not the POS, holds the registration).
 */
export function decodeImsRequest(body: unknown, options: { defaultPosId?: number } = {}): DecodeResult {
  const problems = new ProblemCollector();
  if (!isObject(body)) {
    problems.add("", "", null, "The request body must be one JSON object (the IMS invoice model).");
    return { ok: false, problems: problems.problems, partial: {} };
  }
  if (nestingDepth(body, MAX_NESTING) > MAX_NESTING) {
    problems.add(
      "",
      "",
      null,
      `The body is nested more than ${MAX_NESTING} levels deep; the IMS model is an invoice with a list of items.`,
    );
    return { ok: false, problems: problems.problems, partial: {} };
  }
  const ctx = (field: string): FieldContext => ({
    source: body,
    field,
    pathPrefix: "",
    item: null,
    problems,
  });

  let POSID = readNumber(ctx("POSID"), options.defaultPosId === undefined);
  if ((POSID === undefined || POSID === 0) && options.defaultPosId !== undefined)
    POSID = options.defaultPosId;
  if (POSID !== undefined && (!Number.isSafeInteger(POSID) || POSID <= 0)) {
    problems.add("POSID", "POSID", null, `POSID must be a positive whole number.`);
  }
  const USIN = readString(ctx("USIN"), true);
  const RefUSIN = readString(ctx("RefUSIN"), false);
  const rawDate = pick(body, "DateTime");
  const DateTime = typeof rawDate === "string" ? normaliseImsDateTime(rawDate) : undefined;
  if (isAbsent(rawDate)) {
    problems.add(
      "DateTime",
      "DateTime",
      null,
      "DateTime is required.",
      'Send the sale time as "yyyy-MM-dd HH:mm:ss".',
    );
  } else if (DateTime === undefined) {
    problems.add(
      "DateTime",
      "DateTime",
      null,
      `DateTime ${describeReceived(rawDate)} is not a date and time the bridge understands.`,
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
  const PaymentMode = readInteger(ctx("PaymentMode"), PAYMENT_MODES, PAYMENT_MODE_NAMES);
  const InvoiceType = readInteger(ctx("InvoiceType"), INVOICE_TYPES, INVOICE_TYPE_NAMES);

  const rawItems = pick(body, "Items");
  const items: ImsItem[] = [];
  if (!Array.isArray(rawItems) || rawItems.length === 0) {
    problems.add(
      "Items",
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
    return { ok: false, problems: problems.problems, partial: normaliseLoosely(body) };
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
function normaliseLoosely(body: JsonObject): Record<string, unknown> {
  const out = recase(body, HEADER_FIELDS);
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

/** Converts the sdk's validation issues to reply problems (the sdk's `path` uses FBR's casing already). */
export function problemsFromValidationIssues(
  issues: readonly {
    code: string;
    field: string;
    path: string;
    item?: number;
    message: string;
    fix: string;
  }[],
): BridgeProblem[] {
  return issues.map((issue) => {
    const problem: BridgeProblem = {
      Code: issue.code,
      Field: issue.field,
      Path: issue.path,
      Item: issue.item ?? null,
      Message: issue.message,
    };
    if (issue.fix !== "") problem.Fix = issue.fix;
    return problem;
  });
}

/** Merges problem lists; a path an earlier list already reported is not reported again by a later one. */
export function mergeProblems(...lists: BridgeProblem[][]): BridgeProblem[] {
  const earlierPaths = new Set<string>();
  const merged: BridgeProblem[] = [];
  for (const list of lists) {
    const kept = list.filter(
      (problem) => problem.Path === "" || !earlierPaths.has(problem.Path.toLowerCase()),
    );
    merged.push(...kept);
    for (const problem of list) earlierPaths.add(problem.Path.toLowerCase());
  }
  return merged;
}

/**
 * Whether two journaled payloads are the same sale: everything but DateTime (a POS may re-render the time
 * when it retries) and InvoiceNumber (FBR's to fill). Both are `encodeImsInvoice` output, so formatting
 * (string numbers, casing, date forms) is already normalised away.
 */
export function sameSaleSubstance(storedPayload: string, newPayload: string): boolean {
  const substance = (payload: string): string => {
    const {
      DateTime: _time,
      InvoiceNumber: _number,
      ...rest
    } = JSON.parse(payload) as Record<string, unknown>;
    return stableJson(rest);
  };
  return substance(storedPayload) === substance(newPayload);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The exact bytes uploaded for a sale; stored in the journal so every re-upload sends the same payload. */
export function encodeImsInvoice(invoice: ImsInvoice): string {
  return JSON.stringify(invoice);
}
