// Which spreadsheet header means which invoice field. Three vocabularies are known out of the box: FBR's own
// DI field names (spec v1.12 §4), Raseed's simpler draft columns (quantity, unit price, discount; the sdk
// computes the amounts) and the column titles of FBR's IRIS sales-annex / sales-ledger Excel files (spec/README.md
// "Import columns" gives the source and confidence). Anything else is mapped with a --map file.

/** Header-level fields: equal on every row of one invoice. */
export const HEADER_FIELDS = [
  "invoiceRefNo",
  "invoiceType",
  "invoiceDate",
  "sellerNTNCNIC",
  "sellerBusinessName",
  "sellerProvince",
  "sellerAddress",
  "buyerNTNCNIC",
  "buyerBusinessName",
  "buyerProvince",
  "buyerAddress",
  "buyerRegistrationType",
  "scenarioId",
  "reason",
  "reasonRemarks",
] as const;

/**
 * How one spreadsheet cell becomes a line field's value. `number`: a numeric cell is sent as a JSON number
 * (thousands separators dropped), anything else as text for the validator to name. `blank`: what an empty
 * cell means; a spreadsheet user leaves "none" blank, FBR wants 0 (or "" for extraTax on reduced-rate lines,
 * 0091). Fields FBR needs a real value in (quantity, value, sales tax) have no `blank`: they stay missing, so
 * FBR's own code names them.
 */
export interface CellRule {
  readonly number?: true;
  readonly blank?: 0 | "";
}

/** FBR's line fields as FBR spells them, in payload order, each with its cell rule. */
const FBR_ITEM_CELLS = {
  hsCode: {},
  productDescription: { blank: "" },
  rate: {},
  uoM: {},
  quantity: { number: true },
  totalValues: { number: true, blank: 0 },
  valueSalesExcludingST: { number: true },
  fixedNotifiedValueOrRetailPrice: { number: true, blank: 0 },
  salesTaxApplicable: { number: true },
  salesTaxWithheldAtSource: { number: true, blank: 0 },
  extraTax: { number: true, blank: "" },
  furtherTax: { number: true, blank: 0 },
  sroScheduleNo: { blank: "" },
  fedPayable: { number: true, blank: 0 },
  discount: { number: true, blank: 0 },
  saleType: {},
  sroItemSerialNo: { blank: "" },
  petroleumLevyOn: {},
} as const satisfies Record<string, CellRule>;

/** Columns only Raseed's draft form has: the sdk computes value and taxes from them. */
const DRAFT_ONLY_CELLS = {
  unitPrice: { number: true },
  retailPrice: { number: true },
} as const satisfies Record<string, CellRule>;

export const FBR_ITEM_FIELDS = Object.keys(FBR_ITEM_CELLS) as (keyof typeof FBR_ITEM_CELLS)[];
export const DRAFT_ONLY_FIELDS = Object.keys(DRAFT_ONLY_CELLS) as (keyof typeof DRAFT_ONLY_CELLS)[];

export type HeaderField = (typeof HEADER_FIELDS)[number];
export type ItemField = keyof typeof FBR_ITEM_CELLS | keyof typeof DRAFT_ONLY_CELLS;
export type ImportField = HeaderField | ItemField;

export const ALL_FIELDS: readonly ImportField[] = [
  ...HEADER_FIELDS,
  ...FBR_ITEM_FIELDS,
  ...DRAFT_ONLY_FIELDS,
];
const HEADER_FIELD_SET = new Set<string>(HEADER_FIELDS);
const CELL_RULES: Readonly<Record<ItemField, CellRule>> = { ...FBR_ITEM_CELLS, ...DRAFT_ONLY_CELLS };

/** The cell rule of a line field; header fields are text and have none. */
export function cellRule(field: ImportField): CellRule {
  return isHeaderField(field) ? {} : CELL_RULES[field];
}

export function isHeaderField(field: ImportField): field is HeaderField {
  return HEADER_FIELD_SET.has(field);
}

/** "Invoice Ref No." and "invoice_ref_no" and "invoiceRefNo" all become "invoicerefno". */
export function headerKey(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * Titles of FBR's IRIS sales-annex ("Annex-C") and DI sales-ledger spreadsheets, and Raseed's draft words,
 * beyond the field names themselves (which always match, in any case and spacing).
 */
const ALIASES: Readonly<Record<string, ImportField>> = {
  // IRIS DI sales ledger / annex titles [CONFIRMED by two integrators' importers; see spec/README.md].
  "Invoice Ref No.": "invoiceRefNo",
  "Document Number": "invoiceRefNo",
  "Document Type": "invoiceType",
  "Document Date": "invoiceDate",
  "Seller Registration No.": "sellerNTNCNIC",
  "Seller Name": "sellerBusinessName",
  "Sale Origination Province of Supplier": "sellerProvince",
  "Buyer Registration No.": "buyerNTNCNIC",
  "Buyer NTN": "buyerNTNCNIC",
  "Buyer NTN/CNIC": "buyerNTNCNIC",
  "Buyer Name": "buyerBusinessName",
  "Destination Province": "buyerProvince",
  "Buyer Province": "buyerProvince",
  "Buyer Address": "buyerAddress",
  "Buyer Type": "buyerRegistrationType",
  "Taxpayer Type": "buyerRegistrationType",
  "Reason Remarks": "reasonRemarks",
  "HS Code": "hsCode",
  "Product Description": "productDescription",
  UOM: "uoM",
  "Value of Sales Excluding Sales Tax": "valueSalesExcludingST",
  "Sales Tax/ FED in ST Mode": "salesTaxApplicable",
  "Sales Tax": "salesTaxApplicable",
  "Fixed / notified value or Retail Price / Toll Charges": "fixedNotifiedValueOrRetailPrice",
  "Fixed Value or Retail Price": "fixedNotifiedValueOrRetailPrice",
  "Total Value of Sales": "totalValues",
  "ST Withheld at Source": "salesTaxWithheldAtSource",
  "SRO No. / Schedule No.": "sroScheduleNo",
  "Item Sr. No.": "sroItemSerialNo",
  "Item S.No.": "sroItemSerialNo",
  "Petroleum Levy on": "petroleumLevyOn",
  FED: "fedPayable",
  "FED Payable": "fedPayable",
  // Raseed's draft columns, as people write them.
  "Unit Price": "unitPrice",
  Price: "unitPrice",
  "Retail Price": "retailPrice",
  Description: "productDescription",
  Reference: "invoiceRefNo",
  Date: "invoiceDate",
  Scenario: "scenarioId",
};

const BUILT_IN = new Map<string, ImportField>([
  ...ALL_FIELDS.map((field) => [headerKey(field), field] as const),
  ...Object.entries(ALIASES).map(([title, field]) => [headerKey(title), field] as const),
]);

/** A --map file: `{ "Their column title": "invoiceRefNo", ... }` (field names as in ALL_FIELDS). */
export type ColumnMap = Readonly<Record<string, string>>;

export class ColumnMapError extends Error {
  override readonly name = "ColumnMapError";
}

/** Checks a --map object; every target must be a field Raseed knows. */
export function parseColumnMap(value: unknown): ColumnMap {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ColumnMapError('the mapping must be a JSON object: { "Your column": "invoiceRefNo", ... }');
  }
  const known = new Set<string>(ALL_FIELDS);
  for (const [title, field] of Object.entries(value)) {
    if (typeof field !== "string" || !known.has(field)) {
      throw new ColumnMapError(
        `the mapping sends "${title}" to ${JSON.stringify(field)}, which is not a field; fields: ${ALL_FIELDS.join(", ")}`,
      );
    }
  }
  return value as ColumnMap;
}

export interface ResolvedColumns {
  /** Column index → field, for the columns that mean something. */
  fields: Map<number, ImportField>;
  /** Field → the file's own header text (so errors name the column as the user sees it). */
  titles: Map<ImportField, string>;
  /** Non-empty headers nobody knows: reported, never guessed. */
  unknown: string[];
  /** Two columns for one field: the file is ambiguous. */
  duplicates: { field: ImportField; titles: string[] }[];
}

/** Resolves a header row: the --map first (exact title or the same after headerKey), then the built-in names. */
export function resolveColumns(headers: readonly string[], map: ColumnMap = {}): ResolvedColumns {
  const mapped = new Map<string, ImportField>(
    Object.entries(map).map(([title, field]) => [headerKey(title), field as ImportField] as const),
  );
  const fields = new Map<number, ImportField>();
  const titles = new Map<ImportField, string>();
  const unknown: string[] = [];
  const seen = new Map<ImportField, string[]>();
  headers.forEach((raw, index) => {
    const title = raw.trim();
    if (title === "") return;
    const key = headerKey(title);
    const field = mapped.get(key) ?? BUILT_IN.get(key);
    if (field === undefined) {
      unknown.push(title);
      return;
    }
    seen.set(field, [...(seen.get(field) ?? []), title]);
    if (!titles.has(field)) {
      fields.set(index, field);
      titles.set(field, title);
    }
  });
  const duplicates = [...seen.entries()]
    .filter(([, list]) => list.length > 1)
    .map(([field, list]) => ({ field, titles: list }));
  return { fields, titles, unknown, duplicates };
}
