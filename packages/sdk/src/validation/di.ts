// validateDiInvoice: every problem in a DI payload in one pass, each answered with FBR's own code.
// The rules, and how each one was decided where the spec and live reports disagree, are listed in
// spec/README.md ("Validation choices"). Codes and their meaning: docs/errors.md.
import { TaxDecimal } from "../tax/decimal.ts";
import { parseRateDescription, type RateBasis } from "../tax/rate.ts";
import { expectedSalesTax } from "../tax/sales-tax.ts";
import { fbrJudgementDay } from "./fbr-day.ts";
import { isValidCnic, isValidHsCode, isValidNtn } from "./identifiers.ts";
import { calendarDay, isIsoDateShape, pakistanToday } from "./internal/dates.ts";
import { salesTaxCertainlyMatches, salesTaxPlan } from "./internal/fast-tax.ts";
import { type NumericReading, numericValue, readNumeric, shownValue } from "./internal/numbers.ts";
import {
  provinceNames,
  rateDescriptionsFor,
  type SaleTypeMatch,
  saleTypeExact,
  saleTypeLoose,
  scenarioSaleType,
  sroItemSerials,
  sroScheduleNames,
  uomDescriptions,
} from "./internal/reference-data.ts";
import { IssueCollector } from "./issues.ts";
import type {
  DiValidationContext,
  DiValidationResult,
  FbrOnlyCheck,
  ValidationResult,
  ValidationVerdict,
} from "./types.ts";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string field's text; non-strings (numbers, null) count as absent for presence rules. */
function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Not non-empty text: absent, null, a number, or only spaces (for fields that must hold text). */
function isBlank(value: unknown): boolean {
  return typeof value !== "string" || value.trim() === "";
}

/** Absent, null or only spaces; a value of the wrong type is present (and reported as invalid, not empty). */
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

const INVOICE_TYPES = new Set(["Sale Invoice", "Debit Note"]);
const BUYER_REGISTRATION_TYPES = new Set(["Registered", "Unregistered"]);
// 0088: "Alphanumeric and (-) contained invoice No. is allowed. (-) should be in between Alphanumeric string."
const OWN_INVOICE_REFERENCE = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;
/** 0034: a debit note only within 180 days of the original invoice. */
const DEBIT_NOTE_WINDOW_DAYS = 180;

// Transaction-type ids (di-transaction-types.json) that rules below single out.
const REDUCED_RATE = 24;
const THIRD_SCHEDULE = 23;
const EXEMPT_GOODS = 81;
const PETROLEUM_PRODUCTS = 85;
const COTTON_GINNERS = 130;
const POTASSIUM_CHLORATE = 115;
const STEEL_MELTING = 123;

/**
 * Sale types that need sroScheduleNo + sroItemSerialNo whenever the rate is not "18%" (0077/0078).
 * FBR's live text is "Valid SRO/Schedule No. is mandatory where rate is not 18%", but PRAL's own samples
 * send 17%, 5%, 8% and Rs.3 lines with no SRO (SN010, SN016, SN017, SN018, SN021), so the rule is per sale
 * type: these are exactly the sale types whose PRAL sample carries an SRO (spec §8, §5).
 */
const SRO_REQUIRED_SALE_TYPES: ReadonlySet<number> = new Set([
  24, // Goods at Reduced Rate (SN005, SN028: EIGHTH SCHEDULE Table 1)
  80, // Goods at zero-rate (SN007: 327(I)/2008)
  81, // Exempt goods (SN006: 6th Schd Table I)
  85, // Petroleum Products (SN012: 1450(I)/2021)
  62, // Electricity Supply to Retailers (SN013)
  122, // Mobile Phones (SN015: NINTH SCHEDULE; its 18% lines are spared by the 18% rule)
  18, // Services (SN019: ICTO TABLE I)
  132, // Electric Vehicle (SN020: 6th Schd Table III)
  115, // Potassium Chlorate (SN022: EIGHTH SCHEDULE Table 1)
  178, // CNG Sales (SN023: 581(1)/2024)
  139, // Goods as per SRO.297(|)/2023 (SN024)
  138, // Non-Adjustable Supplies (SN025: EIGHTH SCHEDULE Table 1)
]);

/**
 * STWH must be 0 or equal to salesTaxApplicable (0008), except where PRAL's own samples contradict the
 * rule (SN005 reduced rate, SN006 exempt, SN012 petroleum, SN013 electricity send other values): spec §8
 * says treat it as sale-type specific. Cotton ginners have their own code (0050).
 */
const STWH_RULE_EXCLUDED: ReadonlySet<number> = new Set([24, 81, 85, 62, COTTON_GINNERS]);

/** Scenarios whose buyer must be on FBR's register (0205): "to registered buyers", "Registered Cotton Ginners". */
const REGISTERED_BUYER_SCENARIOS: ReadonlySet<string> = new Set(["SN001", "SN009"]);

/** Rates charged per unit, and the uoM their unit needs (spec §8; IRIS template errors 0060/0061). */
const UOM_FOR_RATE_UNIT: Readonly<Record<string, string>> = {
  bill: "Bill of lading",
  sqy: "SqY",
  mt: "MT",
};

// Money fields: at most 2 decimals (0302). The code for a missing/non-numeric value follows FBR's field
// table: 0300 for the fields its runtime text names, the field's own "cannot be empty" code for the rest.
const MONEY_FIELDS = [
  ["totalValues", "0300"],
  ["valueSalesExcludingST", "0021"],
  ["fixedNotifiedValueOrRetailPrice", "0090"],
  ["salesTaxApplicable", "0018"],
  ["salesTaxWithheldAtSource", "0300"],
  ["furtherTax", "0300"],
  ["fedPayable", "0300"],
  ["discount", "0300"],
] as const;

type MoneyField = (typeof MONEY_FIELDS)[number][0];

/**
 * Validates a DI invoice payload (as it will be sent to `postinvoicedata[_sb]`) against FBR's rules.
 * Reports every problem in one pass; `valid` is true only when there are none.
 *
 * @example
 * const result = validateDiInvoice(payload, { sandbox: true, now: new Date() });
 * for (const issue of result.issues) console.log(issue.code, issue.path, issue.message);
 */
export function validateDiInvoice(input: unknown, context: DiValidationContext = {}): DiValidationResult {
  const out = new IssueCollector();
  if (!isObject(input)) {
    out.header(
      "RDI01",
      "",
      `The invoice must be a JSON object, got ${Array.isArray(input) ? "an array" : shownValue(input)}.`,
    );
    return { valid: false, verdict: "invalid", issues: out.issues, fbrWillCheck: [] };
  }
  const pending: FbrOnlyCheck[] = [];
  const header = checkHeader(input, context, out, pending);
  const items = input.items;
  const itemSaleTypes: (SaleTypeMatch | undefined)[] = [];
  if (!Array.isArray(items) || items.length === 0) {
    out.header("RDI02", "items", `items must be a non-empty array of lines, got ${shownValue(items)}.`);
  } else {
    for (let index = 0; index < items.length; index++) {
      const item: unknown = items[index];
      if (!isObject(item)) {
        out.item("RDI02", index, "", `Line ${index + 1} must be a JSON object, got ${shownValue(item)}.`);
        itemSaleTypes.push(undefined);
        continue;
      }
      itemSaleTypes.push(checkItem(item, index, header, out));
    }
  }
  if (context.sandbox === true) checkScenario(input, items, context, out, pending);
  if (Array.isArray(items)) addFbrOnlyLineChecks(items, pending);
  const valid = out.issues.length === 0;
  return {
    valid,
    verdict: !valid ? "invalid" : pending.length > 0 ? "valid-fbr-will-check" : "valid",
    issues: out.issues,
    fbrWillCheck: pending,
  };
}

/** The three-way verdict of any validation result (IMS results have no FBR-only checks: valid or invalid). */
export function verdictOf(result: ValidationResult | DiValidationResult): ValidationVerdict {
  if ("verdict" in result) return result.verdict;
  return result.valid ? "valid" : "invalid";
}

/**
 * Rules on the lines that only FBR can decide: whether each HS code is in its list (/pdi/v1/itemdesccode,
 * 9,132 codes, not in the offline snapshot) and allowed for the sale type (0052), and whether identical
 * lines are flagged as duplicates (integrators report it; FBR's code for it is unknown).
 */
function addFbrOnlyLineChecks(items: readonly unknown[], pending: FbrOnlyCheck[]): void {
  const hsCodes = new Set<string>();
  // Lines are compared whole (canonicalLine) only where their sketches agree: the whole comparison was
  // ~2% of the gateway's CPU under ingest load (issue 11), and lines that differ usually differ here.
  const bySketch = new Map<string, number[]>();
  items.forEach((item, index) => {
    if (!isObject(item)) return;
    const hsCode = text(item.hsCode);
    if (hsCode !== undefined && isValidHsCode(hsCode)) hsCodes.add(hsCode);
    const sketch = lineSketch(item);
    const alike = bySketch.get(sketch);
    if (alike === undefined) bySketch.set(sketch, [index]);
    else alike.push(index);
  });
  const duplicates = new Set<number>();
  for (const alike of bySketch.values()) {
    if (alike.length < 2) continue;
    const seen = new Map<string, number>();
    for (const index of alike) {
      const key = canonicalLine(items[index] as JsonObject);
      if (key === undefined) continue;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, index + 1);
      } else {
        duplicates.add(first);
        duplicates.add(index + 1);
      }
    }
  }
  if (hsCodes.size > 0) {
    pending.push({
      rule: "hs-code-exists",
      codes: ["0052"],
      message: `FBR checks that ${[...hsCodes].slice(0, 5).join(", ")}${hsCodes.size > 5 ? ", ..." : ""} ${hsCodes.size === 1 ? "is an HS code" : "are HS codes"} in its list and allowed for the line's sale type.`,
    });
  }
  if (duplicates.size > 0) {
    const lines = [...duplicates].sort((a, b) => a - b);
    pending.push({
      rule: "duplicate-lines",
      codes: [],
      message: `Lines ${lines.join(", ")} are identical; FBR may flag identical lines as duplicates (merge them or make them differ).`,
      items: lines,
    });
  }
}

/**
 * A few of a line's facts that identical lines share (equal canonicalLine texts give equal sketches: the
 * same key count, and the same JSON for each sketched field); lines whose sketches differ are not identical.
 */
function lineSketch(item: JsonObject): string {
  return `${Object.keys(item).length}\n${sketchValue(item.productDescription)}\n${sketchValue(item.hsCode)}\n${sketchValue(item.valueSalesExcludingST)}\n${sketchValue(item.quantity)}`;
}

/** A field as canonicalLine writes it (a nested value, whose line has no canonicalLine, by its type). */
function sketchValue(value: unknown): string {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return JSON.stringify(value);
    case "undefined":
    case "function":
    case "symbol":
      return "null";
    default:
      return value === null ? "null" : typeof value;
  }
}

/**
 * A line's fields in key order, so two lines that differ only in JSON key order count as identical;
 * undefined for a line holding a nested value (already an issue, and never stringified: it may be 100,000
 * levels deep).
 */
function canonicalLine(item: JsonObject): string | undefined {
  const keys = Object.keys(item).sort();
  if (keys.some((key) => typeof item[key] === "object" && item[key] !== null)) return undefined;
  return JSON.stringify(keys.map((key) => [key, item[key]]));
}

interface HeaderFacts {
  buyerRegistrationType: string | undefined;
}

function checkHeader(
  invoice: JsonObject,
  context: DiValidationContext,
  out: IssueCollector,
  pending: FbrOnlyCheck[],
): HeaderFacts {
  // invoiceType: 0011 when empty; 0003 for anything but FBR's two doctypecode strings ("Credit Note" included).
  const invoiceType = text(invoice.invoiceType);
  if (isAbsent(invoice.invoiceType)) {
    out.header("0011", "invoiceType", `invoiceType is ${shownValue(invoice.invoiceType)}.`);
  } else if (invoiceType === undefined || !INVOICE_TYPES.has(invoiceType)) {
    out.header(
      "0003",
      "invoiceType",
      `invoiceType ${shownValue(invoice.invoiceType)} is not "Sale Invoice" or "Debit Note"${invoiceType?.trim().toLowerCase() === "credit note" ? " (DI has no credit notes)" : ""}.`,
    );
  }
  const isDebitNote = invoiceType === "Debit Note";

  // invoiceDate: 0042 empty, 0005 not YYYY-MM-DD, 0043 not a real date or after today in Pakistan.
  const invoiceDate = text(invoice.invoiceDate);
  let invoiceDay: number | undefined;
  if (isAbsent(invoice.invoiceDate)) {
    out.header("0042", "invoiceDate", `invoiceDate is ${shownValue(invoice.invoiceDate)}.`);
  } else if (invoiceDate === undefined || !isIsoDateShape(invoiceDate)) {
    out.header(
      "0005",
      "invoiceDate",
      `invoiceDate ${shownValue(invoice.invoiceDate)} is not in YYYY-MM-DD form.`,
    );
  } else {
    invoiceDay = calendarDay(invoiceDate);
    if (invoiceDay === undefined) {
      out.header("0043", "invoiceDate", `invoiceDate "${invoiceDate}" is not a real calendar date.`);
    } else {
      checkFutureDate(invoiceDate, context, out, pending);
    }
  }

  // Seller: 0108 malformed, 0401 not the token's owner.
  const seller = text(invoice.sellerNTNCNIC);
  // 0401's brief: the seller is a 7-digit NTN or a 13-digit CNIC.
  if (seller === undefined || !(isValidNtn(seller) || isValidCnic(seller))) {
    out.header(
      "0108",
      "sellerNTNCNIC",
      `sellerNTNCNIC ${shownValue(invoice.sellerNTNCNIC)} is not a 7-digit NTN or a 13-digit CNIC.`,
    );
  } else if (context.sellerNtn !== undefined && seller !== context.sellerNtn) {
    out.header(
      "0401",
      "sellerNTNCNIC",
      `sellerNTNCNIC "${seller}" is not the registration number the token belongs to (${context.sellerNtn}).`,
    );
  }
  for (const field of ["sellerBusinessName", "sellerAddress", "buyerAddress"] as const) {
    if (isBlank(invoice[field])) {
      out.header(
        "RDI03",
        field,
        `${field} is ${shownValue(invoice[field])}; spec v1.12 §4.1 marks it required.`,
        `Give ${field} as non-empty text.`,
      );
    }
  }
  checkProvince(invoice, "sellerProvince", "0073", out);
  checkProvince(invoice, "buyerProvince", "0074", out);
  if (isBlank(invoice.buyerBusinessName)) {
    out.header("0010", "buyerBusinessName", `buyerBusinessName is ${shownValue(invoice.buyerBusinessName)}.`);
  }

  // Buyer registration type: 0012 empty, 0053 anything but Registered / Unregistered.
  const registrationType = text(invoice.buyerRegistrationType);
  if (isAbsent(invoice.buyerRegistrationType)) {
    out.header(
      "0012",
      "buyerRegistrationType",
      `buyerRegistrationType is ${shownValue(invoice.buyerRegistrationType)}.`,
    );
  } else if (registrationType === undefined || !BUYER_REGISTRATION_TYPES.has(registrationType)) {
    out.header(
      "0053",
      "buyerRegistrationType",
      `buyerRegistrationType ${shownValue(invoice.buyerRegistrationType)} is not "Registered" or "Unregistered".`,
    );
  }

  // Buyer NTN/CNIC: 0009 required for registered buyers, 0002 malformed, 0058 self-invoicing.
  const buyer = text(invoice.buyerNTNCNIC);
  if (isAbsent(invoice.buyerNTNCNIC)) {
    if (registrationType === "Registered") {
      out.header("0009", "buyerNTNCNIC", "buyerNTNCNIC is empty but the buyer is Registered.");
    }
  } else if (buyer === undefined || !(isValidNtn(buyer, { allowCheckDigit: true }) || isValidCnic(buyer))) {
    out.header(
      "0002",
      "buyerNTNCNIC",
      `buyerNTNCNIC ${shownValue(invoice.buyerNTNCNIC)} is not a 7-digit NTN, NTN-check digit (1234567-8) or 13-digit CNIC as text.`,
    );
  } else if (buyer !== undefined && seller !== undefined && buyer === seller) {
    out.header(
      "0058",
      "buyerNTNCNIC",
      `Buyer and seller are both "${buyer}": self-invoicing is not allowed.`,
    );
  } else if (
    buyer !== undefined &&
    registrationType !== undefined &&
    BUYER_REGISTRATION_TYPES.has(registrationType)
  ) {
    checkRegistrationAgainstRegister(invoice, buyer, registrationType, context, out, pending);
  }

  const invoiceRefNo = text(invoice.invoiceRefNo);
  if (isDebitNote) {
    checkDebitNote(invoice, invoiceRefNo, invoiceDay, registrationType, buyer, context, out);
  } else if (invoiceRefNo !== undefined && invoiceRefNo !== "" && !OWN_INVOICE_REFERENCE.test(invoiceRefNo)) {
    out.header(
      "0088",
      "invoiceRefNo",
      `invoiceRefNo "${invoiceRefNo}" may hold only letters, digits and dashes between them.`,
    );
  }
  return { buyerRegistrationType: registrationType };
}

/**
 * 0043 for a date after today. Pakistan's day is the default; integrators report FBR judges `invoiceDate`
 * against the UTC day, so a date that is today in Pakistan but tomorrow in UTC (00:00-05:00 PKT) is
 * either left to FBR with a warning ("invoice-date-utc-day") or, with invoiceDateClock "utc", refused.
 */
function checkFutureDate(
  invoiceDate: string,
  context: DiValidationContext,
  out: IssueCollector,
  pending: FbrOnlyCheck[],
): void {
  const now = context.now ?? new Date();
  const pakistanDay = pakistanToday(now);
  const utcDay = fbrJudgementDay(now);
  if (context.invoiceDateClock === "utc") {
    if (invoiceDate > utcDay) {
      out.header(
        "0043",
        "invoiceDate",
        `invoiceDate "${invoiceDate}" is after today by FBR's UTC day (${utcDay}); it becomes valid at 05:00 Pakistan time.`,
      );
    }
    return;
  }
  if (invoiceDate > pakistanDay) {
    out.header(
      "0043",
      "invoiceDate",
      `invoiceDate "${invoiceDate}" is after today in Pakistan (${pakistanDay}, UTC+5); future dates are refused.`,
    );
  } else if (invoiceDate > utcDay) {
    pending.push({
      rule: "invoice-date-utc-day",
      codes: ["0043"],
      message: `Warning: invoiceDate "${invoiceDate}" is today in Pakistan but still tomorrow in UTC (${utcDay}); FBR is reported to refuse it with 0043 until 05:00 Pakistan time. Post after 05:00 PKT (the gateway holds it until then).`,
    });
  }
}

/** Sandbox samples SN026-SN028 say "Registered" for dummy CNICs (1000000000078, 1000000000000): not held
 * against the register, as for 0205. */
const DUMMY_REGISTERED_SCENARIOS: ReadonlySet<string> = new Set(["SN026", "SN027", "SN028"]);

/**
 * 0053: FBR compares buyerRegistrationType with its register (Get_Reg_Type) [SINGLE, live]. With the
 * register in `context.isRegisteredBuyer` the validator decides; without it FBR will.
 */
function checkRegistrationAgainstRegister(
  invoice: JsonObject,
  buyer: string,
  registrationType: string,
  context: DiValidationContext,
  out: IssueCollector,
  pending: FbrOnlyCheck[],
): void {
  if (context.isRegisteredBuyer === undefined) {
    pending.push({
      rule: "buyer-registration",
      codes: ["0053"],
      message: `FBR checks that buyer "${buyer}" is ${registrationType} on its register (GET /v1/buyers/${buyer} asks it now).`,
    });
    return;
  }
  const onRegister = context.isRegisteredBuyer(buyer);
  if (onRegister === (registrationType === "Registered")) return;
  const scenarioId = text(invoice.scenarioId)?.trim() ?? "";
  if (!onRegister) {
    // A more exact code already says "this buyer is not registered": 0106 on debit notes, 0205 on
    // registered-buyer scenarios. One fault, one issue.
    if (invoice.invoiceType === "Debit Note") return;
    if (context.sandbox === true && REGISTERED_BUYER_SCENARIOS.has(scenarioId)) return;
    if (context.sandbox === true && DUMMY_REGISTERED_SCENARIOS.has(scenarioId)) return;
  }
  out.header(
    "0053",
    "buyerRegistrationType",
    `buyerRegistrationType is "${registrationType}" but buyer "${buyer}" is ${onRegister ? "" : "not "}on FBR's sales-tax register.`,
    `Send "${onRegister ? "Registered" : "Unregistered"}" (FBR's Get_Reg_Type answer for this buyer).`,
  );
}

function checkProvince(
  invoice: JsonObject,
  field: "sellerProvince" | "buyerProvince",
  code: "0073" | "0074",
  out: IssueCollector,
): void {
  const value = invoice[field];
  if (isBlank(value)) {
    out.header(code, field, `${field} is ${shownValue(value)}.`);
    return;
  }
  // PRAL's samples send "Sindh" while /pdi/v1/provinces answers "SINDH": case is not significant here.
  if (typeof value === "string" && !provinceNames.has(value.trim().toUpperCase())) {
    out.header(code, field, `${field} "${value}" is not a province of /pdi/v1/provinces.`);
  }
}

function checkDebitNote(
  invoice: JsonObject,
  invoiceRefNo: string | undefined,
  noteDay: number | undefined,
  registrationType: string | undefined,
  buyer: string | undefined,
  context: DiValidationContext,
  out: IssueCollector,
): void {
  // 0026: the original FBR invoice number. Its shape is not checked: 2026 numbers are alphanumeric (spec §7).
  if (invoiceRefNo === undefined || invoiceRefNo.trim() === "") {
    out.header("0026", "invoiceRefNo", "A debit note needs invoiceRefNo: the original invoice's FBR number.");
  } else if (context.findOriginalInvoice !== undefined) {
    const original = context.findOriginalInvoice(invoiceRefNo.trim());
    const originalDay =
      typeof original?.invoiceDate === "string" ? calendarDay(original.invoiceDate.slice(0, 10)) : undefined;
    if (original === undefined) {
      out.header("0057", "invoiceRefNo", `No original invoice "${invoiceRefNo}" was found.`);
    } else if (noteDay !== undefined && originalDay !== undefined) {
      if (noteDay < originalDay) {
        out.header(
          "0029",
          "invoiceDate",
          `The debit note is dated before its original invoice (${original.invoiceDate.slice(0, 10)}).`,
        );
      } else if (noteDay - originalDay > DEBIT_NOTE_WINDOW_DAYS) {
        out.header(
          "0034",
          "invoiceDate",
          `The debit note is ${noteDay - originalDay} days after its original invoice (${original.invoiceDate.slice(0, 10)}); the limit is ${DEBIT_NOTE_WINDOW_DAYS}.`,
        );
      }
    }
  }
  // 0027: live sandbox wants a top-level `reason`; 0028: "Others" needs reasonRemarks.
  if (isBlank(invoice.reason)) {
    out.header("0027", "reason", "A debit note needs a reason, for example Return of goods.");
  } else if (text(invoice.reason)?.trim().toLowerCase() === "others" && isBlank(invoice.reasonRemarks)) {
    out.header("0028", "reasonRemarks", 'The reason is "Others" but reasonRemarks is empty.');
  }
  // 0106: observed live for a debit note to an unregistered buyer.
  const knownUnregistered =
    buyer !== undefined &&
    buyer !== "" &&
    context.isRegisteredBuyer !== undefined &&
    !context.isRegisteredBuyer(buyer);
  if (registrationType === "Unregistered" || knownUnregistered) {
    out.header("0106", "buyerNTNCNIC", "Debit notes are accepted only for registered buyers.");
  }
}

/** Parsed rates, for the registry's own rate strings only (a bounded set; free text is parsed each time). */
const knownRates = new Map<string, RateBasis>();

function knownRateBasis(rate: string): RateBasis {
  let basis = knownRates.get(rate);
  if (basis === undefined) {
    basis = parseRateDescription(rate);
    knownRates.set(rate, basis);
  }
  return basis;
}

interface LineNumbers {
  quantity: NumericReading;
  money: Record<MoneyField, NumericReading>;
}

function checkItem(
  item: JsonObject,
  index: number,
  header: HeaderFacts,
  out: IssueCollector,
): SaleTypeMatch | undefined {
  // hsCode: 0019 empty, 0044 the "0000.0000" placeholder or not NNNN.NNNN.
  const hsCode = text(item.hsCode);
  if (isBlank(item.hsCode)) {
    out.item("0019", index, "hsCode", `hsCode is ${shownValue(item.hsCode)}.`);
  } else if (hsCode === undefined || !isValidHsCode(hsCode)) {
    out.item(
      "0044",
      index,
      "hsCode",
      `hsCode ${shownValue(item.hsCode)} is not a real HS code in the form NNNN.NNNN.`,
    );
  }

  // saleType: 0013 when empty or not in /pdi/v1/transtypecode (compared trimmed, case-sensitive).
  const saleTypeText = text(item.saleType);
  let saleType: SaleTypeMatch | undefined;
  if (isBlank(item.saleType)) {
    out.item("0013", index, "saleType", `saleType is ${shownValue(item.saleType)}.`);
  } else if (saleTypeText !== undefined) {
    saleType = saleTypeExact(saleTypeText);
    if (saleType === undefined) {
      const loose = saleTypeLoose(saleTypeText);
      out.item(
        "0013",
        index,
        "saleType",
        loose === undefined
          ? `saleType "${saleTypeText}" is not a transaction type of /pdi/v1/transtypecode.`
          : `saleType "${saleTypeText}" must be spelled as the registry spells it: "${loose.trimmed}".`,
      );
    }
  } else {
    out.item("0013", index, "saleType", `saleType must be text, got ${shownValue(item.saleType)}.`);
  }

  // rate: 0020 empty; 0046 not one of SaleTypeToRate's strings for this sale type (verbatim).
  const rate = text(item.rate);
  let rateKnown = false;
  if (isBlank(item.rate)) {
    out.item("0020", index, "rate", `rate is ${shownValue(item.rate)}.`);
  } else if (rate === undefined) {
    out.item("0046", index, "rate", `rate must be text such as "18%", got ${shownValue(item.rate)}.`);
  } else if (saleType !== undefined) {
    const allowed = rateDescriptionsFor(saleType.id);
    // The snapshot has no rates for CNG Sales (178) and Toll Manufacturing (181) although PRAL's samples
    // use "Rs.200" and "18%": an empty list means "unknown", not "nothing allowed".
    if (allowed.length === 0 || allowed.includes(rate)) {
      rateKnown = true;
    } else {
      const exemptHint =
        saleType.id === EXEMPT_GOODS && rate.trim() !== "Exempt"
          ? ' Exempt goods use "Exempt", not "0%".'
          : "";
      out.item(
        "0046",
        index,
        "rate",
        `rate "${rate}" is not allowed for sale type "${saleType.trimmed}" (allowed: ${allowed.join(", ")}).${exemptHint}`,
      );
    }
  }
  const rateBasis =
    rate === undefined ? undefined : rateKnown ? knownRateBasis(rate) : parseRateDescription(rate);

  // uoM: 0099 empty or not a /pdi/v1/uom description; unit rules tied to the rate or sale type.
  const uom = text(item.uoM);
  if (isBlank(item.uoM) || uom === undefined) {
    out.item("0099", index, "uoM", `uoM is ${shownValue(item.uoM)}.`);
  } else if (!uomDescriptions.has(uom)) {
    out.item("0099", index, "uoM", `uoM "${uom}" is not a description from /pdi/v1/uom.`);
  } else {
    checkUnitOfMeasure(uom, rate, rateBasis, saleType, index, out);
  }

  const numbers = checkNumbers(item, index, out);

  if (saleType !== undefined) {
    checkSaleTypeRules(item, index, saleType, rate, numbers, header, out);
  }

  // Tax arithmetic (0102-0105), only when the inputs are readable so the figure means something.
  if (
    saleType !== undefined &&
    rate !== undefined &&
    rateKnown &&
    rateBasis !== undefined &&
    rateBasis.kind !== "unknown"
  ) {
    checkSalesTax(index, saleType, rate, numbers, out);
  }
  return saleType;
}

function checkUnitOfMeasure(
  uom: string,
  rate: string | undefined,
  rateBasis: RateBasis | undefined,
  saleType: SaleTypeMatch | undefined,
  index: number,
  out: IssueCollector,
): void {
  // 0097: potassium chlorate is taxed per kilogram, so its quantity must be in KG.
  if (saleType?.id === POTASSIUM_CHLORATE || rateBasis?.kind === "percentPlusPerUnit") {
    if (uom !== "KG") out.item("0097", index, "uoM", `uoM "${uom}" must be "KG" for rate "${rate ?? ""}".`);
    return;
  }
  // "200/bill" needs "Bill of lading", "50/SqY" needs "SqY", "Rs.700/MT" needs "MT" (spec §8; IRIS 0060/0061).
  if (rateBasis?.kind === "perUnit" && rateBasis.unit !== undefined) {
    const needed = UOM_FOR_RATE_UNIT[rateBasis.unit.toLowerCase()];
    if (needed !== undefined && uom !== needed) {
      out.item("0099", index, "uoM", `uoM "${uom}" must be "${needed}" for rate "${rate ?? ""}".`);
    }
    return;
  }
  // Steel melting and re-rolling is sold by the tonne (PRAL's SN003 sample; IRIS template error 0062).
  if (saleType?.id === STEEL_MELTING && uom !== "MT") {
    out.item("0099", index, "uoM", `uoM "${uom}" must be "MT" for sale type "${saleType.trimmed}".`);
  }
}

function checkNumbers(item: JsonObject, index: number, out: IssueCollector): LineNumbers {
  // quantity: 0300 when null/missing/not numeric; at most 4 decimals (0302).
  const quantity = readNumeric(item.quantity);
  reportNumeric(quantity, item.quantity, "quantity", "0300", 4, index, out);
  const money = {} as Record<MoneyField, NumericReading>;
  for (const [field, missingCode] of MONEY_FIELDS) {
    // Odoo's l10n_pk_edi sends fixedNotifiedValueOrRetailPrice "" on every line that is not Third
    // Schedule and FBR accepts it (issue 12): "" reads as 0, so Third Schedule lines still get 0090.
    if (field === "fixedNotifiedValueOrRetailPrice" && item[field] === "") {
      money[field] = { state: "ok", value: 0, decimals: 0 };
      continue;
    }
    const reading = readNumeric(item[field]);
    money[field] = reading;
    reportNumeric(reading, item[field], field, missingCode, 2, index, out);
  }
  // extraTax: "" means not applicable; otherwise a number like the other money fields.
  if (item.extraTax !== "") {
    reportNumeric(readNumeric(item.extraTax), item.extraTax, "extraTax", "0300", 2, index, out);
  }
  return { quantity, money };
}

function reportNumeric(
  reading: NumericReading,
  raw: unknown,
  field: string,
  missingCode: "0300" | "0021" | "0090" | "0018",
  maxDecimals: number,
  index: number,
  out: IssueCollector,
): void {
  if (reading.state === "missing") {
    out.item(missingCode, index, field, `${field} is ${shownValue(raw)}; send a number (0 when none).`);
  } else if (reading.state === "invalid") {
    out.item(missingCode, index, field, `${field} ${reading.shown} is not a number.`);
  } else if (reading.decimals > maxDecimals) {
    out.item(
      "0302",
      index,
      field,
      `${field} ${String(reading.value)} has ${reading.decimals} decimals; at most ${maxDecimals} are accepted.`,
    );
  }
}

function checkSaleTypeRules(
  item: JsonObject,
  index: number,
  saleType: SaleTypeMatch,
  rate: string | undefined,
  numbers: LineNumbers,
  header: HeaderFacts,
  out: IssueCollector,
): void {
  // 0091: reduced-rate lines send extraTax as "" (numeric 0 is refused live).
  if (saleType.id === REDUCED_RATE && item.extraTax !== "") {
    out.item(
      "0091",
      index,
      "extraTax",
      `extraTax is ${shownValue(item.extraTax)} on a reduced-rate line; send "".`,
    );
  }

  // SRO fields (0077/0078): required for the sale types above when the rate is not 18%; when given, they
  // must be FBR's strings (an unknown spelling gets 0077 live, like an empty one).
  const schedule = text(item.sroScheduleNo)?.trim() ?? "";
  // A serial sent as a JSON number (1 for "1") is read as its text: whether FBR refuses the number is
  // unknown, and refusing only what FBR refuses means not guessing that it does.
  const serial =
    typeof item.sroItemSerialNo === "number" && Number.isFinite(item.sroItemSerialNo)
      ? String(item.sroItemSerialNo)
      : (text(item.sroItemSerialNo)?.trim() ?? "");
  const needsSro = SRO_REQUIRED_SALE_TYPES.has(saleType.id) && rate !== undefined && rate.trim() !== "18%";
  if (schedule === "") {
    if (needsSro) {
      out.item(
        "0077",
        index,
        "sroScheduleNo",
        `sroScheduleNo is empty; sale type "${saleType.trimmed}" at rate "${rate ?? ""}" needs an SRO/Schedule.`,
      );
    }
  } else if (!sroScheduleNames.has(schedule)) {
    out.item(
      "0077",
      index,
      "sroScheduleNo",
      `sroScheduleNo "${schedule}" is not one of FBR's SRO/Schedule strings.`,
    );
  }
  if (serial === "") {
    if (schedule !== "" || needsSro) {
      out.item(
        "0078",
        index,
        "sroItemSerialNo",
        "sroItemSerialNo is empty; it is required with an SRO/Schedule.",
      );
    }
  } else if (!sroItemSerials.has(serial)) {
    out.item(
      "0078",
      index,
      "sroItemSerialNo",
      `sroItemSerialNo "${serial}" is not one of FBR's SRO item serials.`,
    );
  }

  const salesTax = numericValue(numbers.money.salesTaxApplicable);
  const withheld = numericValue(numbers.money.salesTaxWithheldAtSource);
  if (salesTax !== undefined && withheld !== undefined && withheld !== 0 && withheld !== salesTax) {
    if (saleType.id === COTTON_GINNERS) {
      out.item(
        "0050",
        index,
        "salesTaxWithheldAtSource",
        `salesTaxWithheldAtSource ${withheld} is neither 0 nor ${salesTax}.`,
      );
    } else if (!STWH_RULE_EXCLUDED.has(saleType.id)) {
      out.item(
        "0008",
        index,
        "salesTaxWithheldAtSource",
        `salesTaxWithheldAtSource ${withheld} is neither 0 nor ${salesTax}.`,
      );
    }
  }

  // 0100: cotton ginners sell to registered buyers only.
  if (saleType.id === COTTON_GINNERS && header.buyerRegistrationType === "Unregistered") {
    out.item("0100", index, "saleType", "Cotton ginners sales are allowed to registered buyers only.");
  }

  if (saleType.id === THIRD_SCHEDULE) {
    // 0090: Third Schedule tax is computed on the retail price, so it must be given.
    const retail = numericValue(numbers.money.fixedNotifiedValueOrRetailPrice);
    if (retail !== undefined && retail <= 0) {
      out.item(
        "0090",
        index,
        "fixedNotifiedValueOrRetailPrice",
        "fixedNotifiedValueOrRetailPrice must be the line's retail value (more than 0) for Third Schedule goods.",
      );
    }
    // PRAL's samples send 0 here, but two integrators report the current sandbox refuses it (spec §8, CONFIRMED).
    const value = numericValue(numbers.money.valueSalesExcludingST);
    if (value !== undefined && value <= 0) {
      out.item(
        "0300",
        index,
        "valueSalesExcludingST",
        "valueSalesExcludingST is 0 on a Third Schedule line; the live sandbox wants a positive value (send the sale value).",
        "Send the line's sale value (integrators send the retail value) in valueSalesExcludingST.",
      );
    }
  }

  // 0129: Petroleum Products lines need petroleumLevyOn since 2026 (not in spec v1.12). Some integrations
  // send it as a number, others as text; 0129 means "empty or null", never "of an unexpected type".
  if (saleType.id === PETROLEUM_PRODUCTS && isAbsent(item.petroleumLevyOn)) {
    out.item(
      "0129",
      index,
      "petroleumLevyOn",
      `petroleumLevyOn is ${shownValue(item.petroleumLevyOn)} on a Petroleum Products line.`,
    );
  }
}

function checkSalesTax(
  index: number,
  saleType: SaleTypeMatch,
  rate: string,
  numbers: LineNumbers,
  out: IssueCollector,
): void {
  const { quantity } = numbers;
  const { valueSalesExcludingST, fixedNotifiedValueOrRetailPrice, salesTaxApplicable } = numbers.money;
  if (
    quantity.state !== "ok" ||
    valueSalesExcludingST.state !== "ok" ||
    fixedNotifiedValueOrRetailPrice.state !== "ok" ||
    salesTaxApplicable.state !== "ok"
  ) {
    return;
  }
  const plan = salesTaxPlan(rate, saleType.trimmed);
  if (
    plan !== null &&
    salesTaxCertainlyMatches(
      plan,
      quantity,
      valueSalesExcludingST,
      fixedNotifiedValueOrRetailPrice,
      salesTaxApplicable,
    )
  ) {
    return;
  }
  const expected = expectedSalesTax({
    rate,
    saleType: saleType.trimmed,
    quantity: quantity.value,
    valueSalesExcludingST: valueSalesExcludingST.value,
    fixedNotifiedValueOrRetailPrice: fixedNotifiedValueOrRetailPrice.value,
  });
  if (expected.code === null) return;
  if (!expected.amount.equals(new TaxDecimal(salesTaxApplicable.value))) {
    out.item(
      expected.code,
      index,
      "salesTaxApplicable",
      `salesTaxApplicable ${String(salesTaxApplicable.value)} does not match FBR's computation ${expected.amount.toFixed(2)} (${describeBasis(expected.basis, rate)}).`,
    );
  }
}

function describeBasis(basis: string, rate: string): string {
  switch (basis) {
    case "retailPrice":
      return `fixedNotifiedValueOrRetailPrice x ${rate}`;
    case "quantity":
      return `quantity x ${rate}`;
    case "valuePlusQuantity":
      return `valueSalesExcludingST x percentage + quantity x rupees per unit, ${rate}`;
    default:
      return `valueSalesExcludingST x ${rate}`;
  }
}

/** Sandbox rules (spec §5, §12): scenarioId present and assigned (0203), every line's saleType the scenario's (0204),
 * registered-buyer scenarios with a registered buyer (0205). */
function checkScenario(
  invoice: JsonObject,
  items: unknown,
  context: DiValidationContext,
  out: IssueCollector,
  pending: FbrOnlyCheck[],
): void {
  const scenarioId = text(invoice.scenarioId)?.trim() ?? "";
  if (scenarioId === "") {
    out.header("0203", "scenarioId", "The sandbox needs a scenarioId (SN001-SN028).");
    return;
  }
  const scenario = scenarioSaleType(scenarioId);
  if (scenario === undefined) {
    out.header("0203", "scenarioId", `scenarioId "${scenarioId}" is not one of SN001-SN028.`);
    return;
  }
  if (context.assignedScenarios === undefined) {
    pending.push({
      rule: "scenario-assigned",
      codes: ["0203"],
      message: `FBR checks that scenario ${scenarioId} is assigned to this seller in IRIS > Sandbox.`,
    });
  } else if (!context.assignedScenarios.includes(scenarioId)) {
    out.header("0203", "scenarioId", `scenarioId "${scenarioId}" is not assigned to this seller in IRIS.`);
  }
  if (Array.isArray(items)) {
    // Compared trimmed (PRAL's SN008 sample sends "3rd Schedule Goods" for the padded registry string)
    // but case-sensitive: integrators got 0204 for "Goods at Standard Rate (default)".
    const wanted = scenario.saleType.trim();
    items.forEach((item: unknown, index) => {
      if (!isObject(item)) return;
      const saleType = text(item.saleType);
      if (saleType === undefined || saleType.trim() !== wanted) {
        out.item(
          "0204",
          index,
          "saleType",
          `saleType ${shownValue(item.saleType)} does not match scenario ${scenarioId} ("${wanted}").`,
        );
      }
    });
  }
  if (REGISTERED_BUYER_SCENARIOS.has(scenarioId)) {
    const buyer = text(invoice.buyerNTNCNIC)?.trim() ?? "";
    if (buyer === "" || (context.isRegisteredBuyer !== undefined && !context.isRegisteredBuyer(buyer))) {
      out.header(
        "0205",
        "buyerNTNCNIC",
        `Scenario ${scenarioId} needs a buyer on FBR's sales-tax register; "${buyer}" is not registered.`,
      );
    }
  }
}
