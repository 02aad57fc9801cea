// Generates the FBR error catalogue from spec/data:
//   packages/sdk/src/errors/catalogue.generated.ts  (an `as const` table the sdk imports)
//   docs/errors.md                                  (the same table for people)
// Sources: di-sales-error-codes.json (the 86 v1.12 §7 sales codes, verbatim), di-runtime-error-observations.json
// (codes the live sandbox returns that v1.12 does not list: 0129, 0203, 0204, 0205, 0302, and the observed level
// of the listed ones), and Raseed's own codes below (origin "raseed": IMS has no published catalogue, and a few
// structural DI problems have no FBR code). The "how to fix" texts are ours, written here.
// `renderErrorCatalogue` is pure so the staleness test can regenerate in memory and compare.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type CatalogueLevel = "header" | "item";
export type CatalogueOrigin = "spec" | "runtime" | "raseed";

export interface CatalogueEntry {
  code: string;
  message: string;
  brief: string;
  fix: string;
  field: string;
  level: CatalogueLevel;
  origin: CatalogueOrigin;
  runtimeMessage?: string;
}

interface SalesCodeRow {
  code: string;
  messageDesc: string;
  briefMsgDesc: string;
  fieldsConcerned: string[];
}

interface RuntimeObservationRow {
  code: string;
  runtimeMessage: string;
  level: string;
  trigger: string;
}

/** The codes FBR returns at runtime although spec v1.12 does not list them (issue 2 item 3). */
const RUNTIME_ONLY_CODES = ["0129", "0203", "0204", "0205", "0302"] as const;

/** Plain-language remedies, one per code. Every catalogue code must have one (the generator refuses otherwise). */
const FIXES: Record<string, string> = {
  "0001":
    "Use the seller's own NTN/CNIC as registered for sales tax in IRIS; check the registration is active.",
  "0002":
    "Send the buyer's NTN as 7 digits (or 7 digits, a dash and the check digit, 1234567-8) or a 13-digit CNIC without dashes.",
  "0003":
    'Send invoiceType exactly "Sale Invoice" or "Debit Note". DI has no credit notes: report a reduction as a debit note.',
  "0005": "Write invoiceDate as YYYY-MM-DD, for example 2025-05-25.",
  "0006": "The referenced sale invoice was not found; check the FBR invoice number you reference.",
  "0007": "Choose the sale type that matches the invoice type and the seller's registration.",
  "0008": "Set salesTaxWithheldAtSource to 0 or to the line's salesTaxApplicable.",
  "0009": "Give buyerNTNCNIC: it is required when the buyer is Registered.",
  "0010": "Give the buyer's business name in buyerBusinessName.",
  "0011": 'Give invoiceType: "Sale Invoice" or "Debit Note".',
  "0012": 'Give buyerRegistrationType: "Registered" or "Unregistered".',
  "0013":
    "Give the line's saleType as the transaction-type description from /pdi/v1/transtypecode, spelled as the registry spells it.",
  "0018": "Give salesTaxApplicable (the sales tax or FED in ST mode) as a number.",
  "0019": "Give the line's hsCode in the form NNNN.NNNN, for example 0101.2100.",
  "0020": "Give the line's rate as the ratE_DESC string from SaleTypeToRate, for example 18%.",
  "0021": "Give valueSalesExcludingST (and quantity) as numbers; the value must not be empty.",
  "0022": "Give salesTaxWithheldAtSource as a number (0 when nothing is withheld).",
  "0023": "Give salesTaxApplicable as a number.",
  "0024": "Give salesTaxWithheldAtSource as a number (0 when nothing is withheld).",
  "0026": "A debit note must carry the original invoice's FBR invoice number in invoiceRefNo.",
  "0027": "A debit note must carry a top-level reason, for example Return of goods.",
  "0028": 'The reason is "Others": explain it in reasonRemarks.',
  "0029": "Date the debit note on or after the original invoice's date.",
  "0030": "Do not use the Unregistered Distributor buyer type for invoices before FBR's cut-off date.",
  "0031": "Give salesTaxApplicable as a number.",
  "0032":
    "Only government or FTN holders may file STWH without a sale invoice; file it against a sale invoice.",
  "0034":
    "A debit note must be dated within 180 days of the original invoice; older corrections need the Commissioner.",
  "0035": "Date the note on or after the original invoice's date.",
  "0036": "The notes' total value of sales must not exceed the original invoice's value of sales.",
  "0037": "The notes' total ST withheld must not exceed the ST withheld on the original invoice.",
  "0039": "STWH fields for a registered user must equal those of the sale invoice.",
  "0041": "Give the invoice number.",
  "0042": "Give invoiceDate in the form YYYY-MM-DD.",
  "0043": "Give a real calendar date that is not after today in Pakistan time (UTC+5).",
  "0044": "Give a real HS code in the form NNNN.NNNN from /pdi/v1/itemdesccode (0000.0000 counts as empty).",
  "0046":
    "Use a rate that SaleTypeToRate lists for this sale type, verbatim; exempt goods use Exempt, not 0%.",
  "0050": "For Cotton ginners, salesTaxWithheldAtSource must be 0 or equal to salesTaxApplicable.",
  "0052":
    "Use an HS code that FBR allows for the selected sale type (zero-rated lines need a zero-rated HS code).",
  "0053": "buyerRegistrationType must match FBR's register for this buyer: Registered or Unregistered.",
  "0055": "Give salesTaxWithheldAtSource as a number.",
  "0056": "The buyer is not registered in the steel sector; check the buyer or the sale type.",
  "0057":
    "invoiceRefNo must be an FBR invoice number that exists; copy it from the original invoice's acknowledgement.",
  "0058": "Buyer and seller are the same registration number; self-invoicing is not allowed.",
  "0064": "A note has already been added against this invoice; check invoiceRefNo.",
  "0067": "The debit note's sales tax must not exceed the original invoice's sales tax.",
  "0068": "The credit note's sales tax must not be below the original's according to the rate.",
  "0070": "STWH is allowed only for registered buyers.",
  "0071": "This note type against the declared invoice is allowed only for specific users.",
  "0073": "Give sellerProvince as a province from /pdi/v1/provinces, for example SINDH.",
  "0074": "Give buyerProvince as a province from /pdi/v1/provinces, for example PUNJAB.",
  "0077":
    "Give sroScheduleNo as FBR's SroSchedule string (for example EIGHTH SCHEDULE Table 1); it is required for this rate.",
  "0078": "Give sroItemSerialNo as FBR's SROItem string for the schedule (for example 82).",
  "0079": "Rate 5% is not allowed when the value of sales exceeds 20,000; check the rate.",
  "0080": "Give furtherTax as a number (0 when none).",
  "0081": "Give 'Input Credit not Allowed'.",
  "0082": "The seller is not registered for sales tax; use a registered seller NTN/CNIC.",
  "0083": "sellerNTNCNIC must be the seller's own registration number.",
  "0085": "Give totalValues (required for PFAD).",
  "0086":
    "Only EFS licence holders who imported compressor scrap in the last 12 months may use this sale type.",
  "0087": "Petroleum levy rates are not configured; report to PRAL and retry later.",
  "0088": "Use letters, digits and inner dashes only in the invoice number, for example Inv-001.",
  "0089": "Give fedPayable as a number (0 when none).",
  "0090":
    "Give fixedNotifiedValueOrRetailPrice: the line's total retail or notified value (Third Schedule goods).",
  "0091": 'Send extraTax as "" (empty string) on reduced-rate lines, not 0.',
  "0092": "Give a valid sale type.",
  "0093": "This sale type is not allowed for a manufacturer; choose the right sale type.",
  "0095": 'Give extraTax as a number, or "" where it does not apply.',
  "0096": "For this HS code only the KWH unit of measure is allowed.",
  "0097": "Use uoM KG for this line (Potassium Chlorate is taxed per kilogram).",
  "0098": "Give quantity (or electricity units) as a number.",
  "0099": "Use a uoM description that FBR allows for the HS code (HS_UOM), spelled as /pdi/v1/uom spells it.",
  "0100": "Cotton ginners sales are allowed to registered buyers only.",
  "0101": "Use the Toll Manufacturing sale type for the steel sector.",
  "0102":
    "salesTaxApplicable must equal fixedNotifiedValueOrRetailPrice x rate (Third Schedule, retail price basis), rounded to 2 decimals.",
  "0103":
    "salesTaxApplicable must equal value x 18% + quantity in KG x Rs.60 (Potassium Chlorate), rounded to 2 decimals.",
  "0104": "salesTaxApplicable must equal valueSalesExcludingST x rate, rounded half-up to 2 decimals.",
  "0105":
    "salesTaxApplicable must equal quantity x the rupees per unit in the rate (for example 12 x Rs.3 = 36).",
  "0106": "Debit notes are allowed only for registered buyers; use the buyer's registered NTN.",
  "0107": "buyerNTNCNIC does not match; give the buyer's registration number.",
  "0108": "Send sellerNTNCNIC as a 7-digit NTN or a 13-digit CNIC without dashes.",
  "0109": "Select the proper invoice type.",
  "0111": "Select the proper purchase type.",
  "0113": "Write the date as YYYY-MM-DD, for example 2025-05-25.",
  "0129":
    "Petroleum Products lines need petroleumLevyOn (added after spec v1.12); its value domain is not published.",
  "0203": "Send a scenarioId (SN001-SN028) that IRIS assigned to this seller (sandbox only).",
  "0204":
    "Every line's saleType must be the scenario's sale type, spelled as /pdi/v1/transtypecode spells it.",
  "0205":
    "This scenario needs a buyer on FBR's sales-tax register; use a registered buyer NTN (sandbox: 2046004).",
  "0300": 'Send every numeric field as a number: no null, no missing field, no text (extraTax may be "").',
  "0302":
    "Round money to at most 2 decimals and quantity to at most 4 before sending (watch float artefacts such as 849.6000000000001).",
  "0401": "sellerNTNCNIC must be 7 digits (NTN) or 13 (CNIC) and belong to the owner of the token you send.",
  "0402": "The buyer NTN/CNIC must be 7 or 13 digits and registered.",
};

/** Where the spec's field hints are unhelpful, the field Raseed reports. */
const FIELD_OVERRIDES: Record<string, string> = {
  "0027": "reason",
  "0028": "reasonRemarks",
  "0041": "invoiceRefNo",
  "0058": "buyerNTNCNIC",
  "0300": "discount",
  "0401": "sellerNTNCNIC",
  "0129": "petroleumLevyOn",
  "0203": "scenarioId",
  "0204": "saleType",
  "0205": "buyerNTNCNIC",
  "0302": "valueSalesExcludingST",
};

/** Raseed's own codes: problems FBR has no published code for (IMS has no catalogue at all). */
const RASEED_CODES: readonly CatalogueEntry[] = [
  {
    code: "RDI01",
    message: "The invoice is not a JSON object.",
    brief: "The payload must be one JSON object with FBR's DI fields.",
    fix: "Send a JSON object with the DI header fields and an items array.",
    field: "",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RDI02",
    message: "The invoice has no items.",
    brief: "items must be a non-empty array of line objects.",
    fix: "Give at least one line in items, each a JSON object.",
    field: "items",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RDI03",
    message: "A required header field is empty.",
    brief:
      "sellerBusinessName, sellerAddress and buyerAddress are required (spec v1.12 §4.1); FBR lists no code for them.",
    fix: "Give the field as non-empty text.",
    field: "sellerBusinessName",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS01",
    message: "The invoice is not a JSON object or has no items.",
    brief: "An IMS invoice is one JSON object with a non-empty Items array.",
    fix: "Send a JSON object with the IMS header fields and at least one line in Items.",
    field: "Items",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS02",
    message: "POSID is missing or not a positive whole number.",
    brief: "POSID (bigint, compulsory) is the POS registration number FBR issued, e.g. 110014.",
    fix: "Give POSID as the number FBR issued for this till.",
    field: "POSID",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS03",
    message: "USIN is missing or longer than 50 characters.",
    brief: "USIN (varchar(50), compulsory) is the seller's own unique invoice number.",
    fix: "Give USIN: your own unique invoice number, at most 50 characters.",
    field: "USIN",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS04",
    message: "DateTime is missing or not yyyy-MM-dd HH:mm:ss.",
    brief: "DateTime (compulsory) is the sale's local date and time.",
    fix: "Write DateTime as yyyy-MM-dd HH:mm:ss, for example 2025-05-25 14:30:00.",
    field: "DateTime",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS05",
    message: "PaymentMode must be 1-6.",
    brief: "1 Cash, 2 Card, 3 Gift Voucher, 4 Loyalty Card, 5 Mixed, 6 Cheque.",
    fix: "Give PaymentMode as a whole number from 1 (Cash) to 6 (Cheque).",
    field: "PaymentMode",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS06",
    message: "InvoiceType must be 1, 2 or 3.",
    brief: "Header InvoiceType: 1 New, 2 Debit, 3 Credit.",
    fix: "Give InvoiceType 1 (New), 2 (Debit) or 3 (Credit).",
    field: "InvoiceType",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS07",
    message: "Item InvoiceType must be 1, 3, 11 or 12.",
    brief: "Item InvoiceType: 1 New, 3 Credit, 11 Third Schedule New, 12 Third Schedule Credit.",
    fix: "Give the item's InvoiceType as 1, 3, 11 or 12.",
    field: "InvoiceType",
    level: "item",
    origin: "raseed",
  },
  {
    code: "RIMS08",
    message: "PCTCode must be 1-8 digits without a dot.",
    brief: "PCTCode (varchar(8), compulsory) is the Pakistan Customs Tariff code, e.g. 01011000.",
    fix: "Give PCTCode as up to 8 digits with no dot (HS 0101.2100 becomes 01012100).",
    field: "PCTCode",
    level: "item",
    origin: "raseed",
  },
  {
    code: "RIMS09",
    message: "A numeric field is missing or not a number.",
    brief: "Numbers may be JSON numbers or numeric strings; compulsory ones must be present.",
    fix: "Give the field as a number (money to 2 decimals, quantity to 4).",
    field: "",
    level: "item",
    origin: "raseed",
  },
  {
    code: "RIMS10",
    message: "A header total does not equal the sum of the items.",
    brief:
      "TotalSaleValue, TotalTaxCharged, TotalBillAmount (and Discount, FurtherTax when given) are sums of the items, within Rs 1.00 (bill rounding); TotalQuantity is the exact sum.",
    fix: "Recompute the header total as the sum of the item values, rounded to 2 decimals (money totals may differ from it by at most Rs 1.00).",
    field: "",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS11",
    message: "RefUSIN is required for a debit or credit invoice.",
    brief: "InvoiceType 2 or 3 (and item types 3 and 12) must reference the original sale's USIN.",
    fix: "Give RefUSIN: the USIN of the original sale being corrected.",
    field: "RefUSIN",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS12",
    message: "ItemCode or ItemName is missing or too long.",
    brief: "ItemCode varchar(50) and ItemName varchar(150) are compulsory.",
    fix: "Give ItemCode (at most 50 characters) and ItemName (at most 150).",
    field: "ItemName",
    level: "item",
    origin: "raseed",
  },
  {
    code: "RIMS13",
    message: "A buyer identifier is malformed.",
    brief:
      "BuyerNTN is 1234567 or 1234567-8; BuyerCNIC is 13 digits; BuyerPhoneNumber at most 20; BuyerName at most 150.",
    fix: "Send BuyerNTN as 7 digits (optionally -check digit), BuyerCNIC as 13 digits without dashes.",
    field: "BuyerNTN",
    level: "header",
    origin: "raseed",
  },
  {
    code: "RIMS14",
    message: "A value has more decimals than FBR accepts.",
    brief: "Money at most 2 decimals, quantity at most 4.",
    fix: "Round money to 2 decimals and quantity to 4 before sending.",
    field: "",
    level: "item",
    origin: "raseed",
  },
];

function fieldFromHints(code: string, hints: readonly string[]): string {
  const override = FIELD_OVERRIDES[code];
  if (override !== undefined) return override;
  const first = hints[0];
  if (first === undefined) return "";
  // "items[].rate" → "rate"; "reason (undocumented ...)" → "reason"; "invoiceRefNo?" → "invoiceRefNo".
  return first
    .replace(/^items\[\]\./, "")
    .replace(/\s*\(.*$/, "")
    .replace(/\?$/, "");
}

function levelFromObservation(observed: string | undefined, hints: readonly string[]): CatalogueLevel {
  if (observed !== undefined) {
    if (observed.startsWith("header")) return "header";
    if (observed.startsWith("item")) return "item";
  }
  return hints.some((hint) => hint.startsWith("items[]")) ? "item" : "header";
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Builds the catalogue rows from spec data (sorted by code, FBR codes first, then Raseed's). */
export function buildCatalogueEntries(specDataDir: string): CatalogueEntry[] {
  const sales = readJson<{ codes: SalesCodeRow[] }>(join(specDataDir, "di-sales-error-codes.json")).codes;
  const observations = readJson<{ observations: RuntimeObservationRow[] }>(
    join(specDataDir, "di-runtime-error-observations.json"),
  ).observations;
  // The first observation of a code carries its level and live text (0046's first row is the spec sample).
  const observedByCode = new Map<string, RuntimeObservationRow>();
  for (const row of observations) {
    if (/^\d{4}$/.test(row.code) && !observedByCode.has(row.code)) observedByCode.set(row.code, row);
  }

  const entries: CatalogueEntry[] = [];
  for (const row of sales) {
    const observed = observedByCode.get(row.code);
    const entry: CatalogueEntry = {
      code: row.code,
      message: row.messageDesc,
      brief: row.briefMsgDesc,
      fix: requireFix(row.code),
      field: fieldFromHints(row.code, row.fieldsConcerned),
      level: levelFromObservation(observed?.level, row.fieldsConcerned),
      origin: "spec",
    };
    if (observed !== undefined && observed.runtimeMessage !== row.messageDesc) {
      entry.runtimeMessage = observed.runtimeMessage;
    }
    entries.push(entry);
  }
  for (const code of RUNTIME_ONLY_CODES) {
    const observed = observedByCode.get(code);
    if (observed === undefined) throw new Error(`runtime code ${code} missing from the observations`);
    entries.push({
      code,
      message: observed.runtimeMessage,
      brief: `Not in spec v1.12; observed when: ${observed.trigger}.`,
      fix: requireFix(code),
      field: fieldFromHints(code, []),
      level: levelFromObservation(observed.level, []),
      origin: "runtime",
      runtimeMessage: observed.runtimeMessage,
    });
  }
  entries.sort((a, b) => a.code.localeCompare(b.code));
  return [...entries, ...RASEED_CODES];
}

function requireFix(code: string): string {
  const fix = FIXES[code];
  if (fix === undefined) throw new Error(`no "how to fix" text for code ${code}: add it to FIXES`);
  return fix;
}

function tsString(value: string): string {
  return JSON.stringify(value);
}

export function renderCatalogueTs(entries: readonly CatalogueEntry[]): string {
  const lines = [
    "// GENERATED by scripts/generate-errors.ts from spec/data: do not edit. Run `npm run generate`.",
    "// A test fails when this file is stale.",
    "",
    "export const fbrErrorCatalogue = {",
  ];
  for (const entry of entries) {
    lines.push(`  ${tsString(entry.code)}: {`);
    lines.push(`    code: ${tsString(entry.code)},`);
    lines.push(`    message: ${tsString(entry.message)},`);
    lines.push(`    brief: ${tsString(entry.brief)},`);
    lines.push(`    fix: ${tsString(entry.fix)},`);
    lines.push(`    field: ${tsString(entry.field)},`);
    lines.push(`    level: ${tsString(entry.level)},`);
    lines.push(`    origin: ${tsString(entry.origin)},`);
    if (entry.runtimeMessage !== undefined)
      lines.push(`    runtimeMessage: ${tsString(entry.runtimeMessage)},`);
    lines.push("  },");
  }
  lines.push("} as const;", "");
  return lines.join("\n");
}

function mdCell(value: string): string {
  return value.replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();
}

export function renderErrorsMd(entries: readonly CatalogueEntry[]): string {
  const count = (origin: CatalogueOrigin) => entries.filter((e) => e.origin === origin).length;
  const out = [
    "# FBR error codes",
    "",
    "<!-- GENERATED by scripts/generate-errors.ts from spec/data: do not edit. Run `npm run generate`. -->",
    "",
    "Every code Raseed's validator, simulator and clients use, with FBR's own message, what it means and how to",
    "fix it. `describeFbrError(code)` in `@raseed/sdk` returns the same entry.",
    "",
    `- **spec** (${count("spec")}): the sales codes of PRAL's DI Technical Specification v1.12 §7, message and brief verbatim.`,
    `- **runtime** (${count("runtime")}): codes the live DI sandbox returns that v1.12 does not list (integrator reports).`,
    `- **raseed** (${count("raseed")}): Raseed's own codes where FBR publishes none (IMS has no public error catalogue).`,
    "",
    "*Level* says where FBR reports the code: on the header (`validationResponse.errorCode`) or on a line",
    "(`invoiceStatuses[i].errorCode`). *Live text* is what the sandbox was seen to answer when it differs from the spec.",
    "Each row is linkable by its code: `docs/errors.md#0046` (what `fbrErrorDocsUrl(code)` in the sdk returns).",
    "",
    "| Code | Origin | Level | Field | FBR message | Meaning | How to fix |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const e of entries) {
    const message =
      e.runtimeMessage !== undefined && e.runtimeMessage !== e.message
        ? `${mdCell(e.message)}<br>*Live text:* ${mdCell(e.runtimeMessage)}`
        : mdCell(e.message);
    out.push(
      // An empty anchor named after the code, so `errors.md#0046` lands on the row (a table row has no id).
      `| <a id="${e.code}"></a>${e.code} | ${e.origin} | ${e.level} | ${e.field === "" ? "—" : `\`${e.field}\``} | ${message} | ${mdCell(e.brief)} | ${mdCell(e.fix)} |`,
    );
  }
  out.push("");
  return out.join("\n");
}

export interface RenderedErrorCatalogue {
  catalogueTs: string;
  errorsMd: string;
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
export const catalogueTsPath = join(repoRoot, "packages/sdk/src/errors/catalogue.generated.ts");
export const errorsMdPath = join(repoRoot, "docs/errors.md");

export function renderErrorCatalogue(specDataDir = join(repoRoot, "spec/data")): RenderedErrorCatalogue {
  const entries = buildCatalogueEntries(specDataDir);
  return { catalogueTs: renderCatalogueTs(entries), errorsMd: renderErrorsMd(entries) };
}

export function writeErrorCatalogue(): void {
  const rendered = renderErrorCatalogue();
  writeFileSync(catalogueTsPath, rendered.catalogueTs);
  writeFileSync(errorsMdPath, rendered.errorsMd);
  console.log(`wrote ${catalogueTsPath} and ${errorsMdPath}`);
}
