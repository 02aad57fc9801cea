// From spreadsheet rows to invoices ready to send, every problem named by sheet row, column and code, before
// anything is sent. Pure: rows in, a plan out; the CLI and the dashboard send it.
import type { DiInvoice, ValidationIssue } from "@raseed/sdk";
import { buildDraftOrIssues } from "../invoices/draft-issues.ts";
import { validateForTenant } from "../invoices/invoice-service.ts";
import type { TenantRow } from "../store/schema.ts";
import {
  type ColumnMap,
  cellRule,
  FBR_ITEM_FIELDS,
  HEADER_FIELDS,
  type HeaderField,
  type ImportField,
  type ResolvedColumns,
  resolveColumns,
} from "./columns.ts";
import type { SheetRow } from "./read-rows.ts";

/** The key's seller, as GET /v1/tenant (or the store) tells it. */
export type ImportTenant = Pick<TenantRow, "ntn" | "name" | "province" | "address" | "environment">;

export interface ImportProblem {
  sheet: string;
  /** Spreadsheet row (the header is row 1); 1 for problems with the header itself. */
  row: number;
  /** The column's title as the file has it, or null when no column holds the field. */
  column: string | null;
  /** FBR's code where FBR has one (docs/errors.md); RIMPnn for file problems FBR never sees. */
  code: string;
  message: string;
  fix?: string;
  /** The invoice (invoiceRefNo) the row belongs to, when known. */
  reference?: string;
}

export interface PlannedInvoice {
  reference: string;
  sheet: string;
  /** Spreadsheet rows of its lines, in order. */
  rows: number[];
  /** What POST /v1/invoices is sent: FBR's payload as `invoice`, or Raseed's draft as `draft`. */
  body: { invoice: DiInvoice } | { draft: Record<string, unknown> };
  /** The seller and the reference: a re-run sends the same key, so the gateway never queues it twice. */
  idempotencyKey: string;
  problems: ImportProblem[];
}

export interface ImportPlan {
  /** "fbr": amounts as FBR's fields; "draft": quantity and unit price, the sdk computes the rest. */
  form: "fbr" | "draft";
  /** Data rows read (the header and empty rows not counted). */
  rowCount: number;
  invoices: PlannedInvoice[];
  /** Problems with the file as a whole or with rows that belong to no invoice. */
  fileProblems: ImportProblem[];
  /** Header titles no vocabulary and no --map knows; ignored, listed so nothing is dropped silently. */
  unknownColumns: string[];
}

export interface PlanOptions {
  tenant: ImportTenant;
  map?: ColumnMap;
  /** Called every `progressEvery` rows read (for a progress line on long files). */
  onRows?: (rowsRead: number) => void;
  progressEvery?: number;
}

/** Idempotency keys are at most 200 characters (POST /v1/invoices). */
const MAX_KEY_LENGTH = 200;

/** A draft party's keys and the header columns they come from (buyer + suffix, seller + suffix). */
const PARTY_SUFFIXES = {
  ntnCnic: "NTNCNIC",
  businessName: "BusinessName",
  province: "Province",
  address: "Address",
  registrationType: "RegistrationType",
} as const;

type RowValues = Partial<Record<ImportField, string>>;
interface GroupRow {
  row: number;
  values: RowValues;
}
interface Group {
  sheet: string;
  rows: GroupRow[];
}

/** "1,234.50" (a formatted cell) means 1234.50; other text is returned as it is. */
function withoutThousands(text: string): string {
  return /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text) ? text.replaceAll(",", "") : text;
}

/** A numeric cell becomes a JSON number; anything else stays text for the validator to name. */
function numberOrText(text: string): number | string {
  const plain = withoutThousands(text);
  return /^-?\d+(\.\d+)?$/.test(plain) ? Number(plain) : text;
}

/**
 * A percent-formatted Excel cell holds 0.18 for "18%"; FBR's rate is the text "18%" (SaleTypeToRate's
 * ratE_DESC). A bare fraction below 1 is read that way; every other rate is sent as written.
 */
function rateText(text: string): string {
  if (/^0?\.\d+$/.test(text)) {
    const percent = Number((Number(text) * 100).toFixed(6));
    return `${percent}%`;
  }
  return text;
}

function problem(
  sheet: string,
  row: number,
  column: string | null,
  code: string,
  message: string,
  extra: Partial<ImportProblem> = {},
): ImportProblem {
  return { sheet, row, column, code, message, ...extra };
}

/** Draft paths and FBR field names → the import field whose column the user should fix. */
function fieldOfIssue(issue: ValidationIssue, form: ImportPlan["form"]): ImportField | undefined {
  const path = issue.path.replace(/^draft\./, "");
  const party = /^(seller|buyer)\.(\w+)$/.exec(path);
  if (party) {
    const [, who, key] = party;
    const suffix = PARTY_SUFFIXES[key as keyof typeof PARTY_SUFFIXES] ?? "";
    return `${who}${suffix}` as ImportField;
  }
  const field = issue.field;
  if (field === "date") return "invoiceDate";
  if (field === "description") return "productDescription";
  if (form === "draft") {
    // Computed amounts: the cells they come from.
    if (field === "valueSalesExcludingST" || field === "totalValues") return "unitPrice";
    if (field === "salesTaxApplicable") return "rate";
    if (field === "fixedNotifiedValueOrRetailPrice") return "retailPrice";
  }
  return field as ImportField;
}

export class ImportPlanner {
  private columns: ResolvedColumns | undefined;
  private form: ImportPlan["form"] = "fbr";
  private readonly groups = new Map<string, Group>();
  private readonly fileProblems: ImportProblem[] = [];
  private rowCount = 0;
  private headerBroken = false;

  constructor(private readonly options: PlanOptions) {}

  /** Feeds one row; the first non-empty row is the header. */
  add(sheetRow: SheetRow): void {
    const { sheet, row, cells } = sheetRow;
    const empty = cells.every((cell) => cell.trim() === "");
    if (this.columns === undefined) {
      if (empty) return;
      this.readHeader(sheet, row, cells);
      return;
    }
    if (empty || this.headerBroken) return;
    this.rowCount += 1;
    const every = this.options.progressEvery ?? 1000;
    if (this.options.onRows !== undefined && this.rowCount % every === 0) this.options.onRows(this.rowCount);
    const values: RowValues = {};
    for (const [index, field] of this.columns.fields) {
      const cell = (cells[index] ?? "").trim();
      if (cell !== "") values[field] = cell;
    }
    const reference = values.invoiceRefNo;
    if (reference === undefined) {
      const column = this.columns.titles.get("invoiceRefNo") ?? null;
      this.fileProblems.push(
        problem(sheet, row, column, "RIMP01", "the row has no invoice reference (invoiceRefNo)", {
          fix: "give every row its invoice's own reference; rows with one reference make one invoice",
        }),
      );
      return;
    }
    const group = this.groups.get(reference);
    if (group === undefined) this.groups.set(reference, { sheet, rows: [{ row, values }] });
    else group.rows.push({ row, values });
  }

  private readHeader(sheet: string, row: number, cells: string[]): void {
    const columns = resolveColumns(cells, this.options.map);
    this.columns = columns;
    const title = (field: ImportField) => columns.titles.get(field);
    for (const duplicate of columns.duplicates) {
      this.fileProblems.push(
        problem(
          sheet,
          row,
          duplicate.titles[1] ?? null,
          "RIMP04",
          `columns ${duplicate.titles.map((t) => `"${t}"`).join(" and ")} both mean ${duplicate.field}`,
          {
            fix: "keep one of them, or map the other to a different field with --map",
          },
        ),
      );
    }
    if (title("invoiceRefNo") === undefined) {
      this.headerBroken = true;
      this.fileProblems.push(
        problem(sheet, row, null, "RIMP01", "no column holds the invoice reference (invoiceRefNo)", {
          fix: 'add an "invoiceRefNo" column, or map yours with --map \'{"Your column": "invoiceRefNo"}\'',
        }),
      );
    }
    if (title("unitPrice") !== undefined) {
      this.form = "draft";
      const fbrOnly = (["valueSalesExcludingST", "salesTaxApplicable", "totalValues"] as const).filter(
        (field) => title(field) !== undefined,
      );
      if (fbrOnly.length > 0) {
        this.headerBroken = true;
        this.fileProblems.push(
          problem(
            sheet,
            row,
            title(fbrOnly[0] as ImportField) ?? null,
            "RIMP05",
            `the file has a unit price and FBR's computed amounts (${fbrOnly.join(", ")})`,
            {
              fix: "send either quantity + unit price (Raseed computes the rest) or FBR's amounts, not both",
            },
          ),
        );
      }
    }
  }

  /** Groups, builds and validates every invoice. */
  finish(): ImportPlan {
    const columns = this.columns;
    if (columns === undefined) {
      this.fileProblems.push(problem("", 1, null, "RIMP06", "the file has no header row and no data"));
      return {
        form: this.form,
        rowCount: 0,
        invoices: [],
        fileProblems: this.fileProblems,
        unknownColumns: [],
      };
    }
    if (!this.headerBroken && this.rowCount === 0) {
      this.fileProblems.push(problem("", 2, null, "RIMP06", "the file has a header but no data rows"));
    }
    const invoices = this.headerBroken
      ? []
      : [...this.groups.entries()].map(([reference, group]) => this.planInvoice(reference, group, columns));
    return {
      form: this.form,
      rowCount: this.rowCount,
      invoices,
      fileProblems: this.fileProblems,
      unknownColumns: columns.unknown,
    };
  }

  private planInvoice(reference: string, group: Group, columns: ResolvedColumns): PlannedInvoice {
    const { tenant } = this.options;
    const { sheet, rows } = group;
    const first = rows[0] as GroupRow;
    const problems: ImportProblem[] = [];
    const titleOf = (field: ImportField | undefined) =>
      field === undefined ? null : (columns.titles.get(field) ?? null);

    // Header fields belong to the invoice: every line must agree with its first line.
    for (const line of rows.slice(1)) {
      for (const field of HEADER_FIELDS) {
        const value = line.values[field];
        if (value !== undefined && value !== first.values[field]) {
          problems.push(
            problem(
              sheet,
              line.row,
              titleOf(field),
              "RIMP02",
              `${field} "${value}" differs from row ${first.row} ("${first.values[field] ?? ""}") of invoice ${reference}`,
              {
                reference,
                fix: "rows of one invoice share its header fields; correct the row or give it another reference",
              },
            ),
          );
        }
      }
    }
    const idempotencyKey = `import:${tenant.ntn}:${reference}`;
    if (idempotencyKey.length > MAX_KEY_LENGTH) {
      problems.push(
        problem(
          sheet,
          first.row,
          titleOf("invoiceRefNo"),
          "RIMP03",
          `the reference is ${reference.length} characters; at most ${MAX_KEY_LENGTH - idempotencyKey.length + reference.length} fit`,
          { reference },
        ),
      );
    }

    const header = first.values;
    const sandbox = tenant.environment === "sandbox";
    let body: PlannedInvoice["body"];
    let issues: ValidationIssue[];
    if (this.form === "draft") {
      const draft = this.draftOf(reference, header, rows);
      const built = buildDraftOrIssues(
        {
          seller: {
            ntnCnic: tenant.ntn,
            businessName: tenant.name,
            province: tenant.province,
            address: tenant.address,
          },
          ...draft,
        },
        { sandbox },
      );
      body = { draft };
      issues = "issues" in built ? built.issues : validateForTenant(built.invoice, tenant as TenantRow);
    } else {
      const invoice = this.invoiceOf(reference, header, rows);
      body = { invoice };
      issues = validateForTenant(invoice, tenant as TenantRow);
    }
    for (const issue of issues) {
      const line = issue.item === undefined ? first : (rows[issue.item - 1] ?? first);
      problems.push(
        problem(sheet, line.row, titleOf(fieldOfIssue(issue, this.form)), issue.code, issue.message, {
          fix: issue.fix,
          reference,
        }),
      );
    }
    return { reference, sheet, rows: rows.map((line) => line.row), body, idempotencyKey, problems };
  }

  private invoiceOf(reference: string, header: RowValues, rows: GroupRow[]): DiInvoice {
    const { tenant } = this.options;
    const text = (field: HeaderField, fallback = "") => header[field] ?? fallback;
    const invoice: Record<string, unknown> = {
      invoiceType: text("invoiceType", "Sale Invoice"),
      invoiceDate: text("invoiceDate"),
      // A seller's own file rarely repeats the seller on every row: the key's tenant is the seller (0401).
      sellerNTNCNIC: text("sellerNTNCNIC", tenant.ntn),
      sellerBusinessName: text("sellerBusinessName", tenant.name),
      sellerProvince: text("sellerProvince", tenant.province),
      sellerAddress: text("sellerAddress", tenant.address),
      buyerNTNCNIC: text("buyerNTNCNIC"),
      buyerBusinessName: text("buyerBusinessName"),
      buyerProvince: text("buyerProvince"),
      buyerAddress: text("buyerAddress"),
      invoiceRefNo: reference,
    };
    if (header.buyerRegistrationType !== undefined)
      invoice.buyerRegistrationType = header.buyerRegistrationType;
    for (const field of ["scenarioId", "reason", "reasonRemarks"] as const) {
      if (header[field] !== undefined) invoice[field] = header[field];
    }
    invoice.items = rows.map(({ values }) => {
      const item: Record<string, unknown> = {};
      for (const field of FBR_ITEM_FIELDS) {
        const cell = values[field];
        const rule = cellRule(field);
        if (cell === undefined) {
          if (rule.blank !== undefined) item[field] = rule.blank;
          continue;
        }
        if (field === "rate") item[field] = rateText(cell);
        else item[field] = rule.number === true ? numberOrText(cell) : cell;
      }
      return item;
    });
    return invoice as unknown as DiInvoice;
  }

  private draftOf(reference: string, header: RowValues, rows: GroupRow[]): Record<string, unknown> {
    const draft: Record<string, unknown> = {
      buyer: Object.fromEntries(
        Object.entries(PARTY_SUFFIXES).map(([key, suffix]) => [key, header[`buyer${suffix}`] ?? ""]),
      ),
      date: header.invoiceDate ?? "",
      invoiceRefNo: reference,
    };
    if (header.invoiceType !== undefined) draft.invoiceType = header.invoiceType;
    for (const field of ["scenarioId", "reason", "reasonRemarks"] as const) {
      if (header[field] !== undefined) draft[field] = header[field];
    }
    draft.lines = rows.map(({ values }) => {
      const line: Record<string, unknown> = {
        hsCode: values.hsCode ?? "",
        description: values.productDescription ?? "",
        uoM: values.uoM ?? "",
        quantity: withoutThousands(values.quantity ?? ""),
        unitPrice: withoutThousands(values.unitPrice ?? ""),
        saleType: values.saleType ?? "",
        rate: values.rate === undefined ? "" : rateText(values.rate),
      };
      const optional = [
        "discount",
        "retailPrice",
        "sroScheduleNo",
        "sroItemSerialNo",
        "salesTaxWithheldAtSource",
        "fedPayable",
        "extraTax",
        "furtherTax",
        "petroleumLevyOn",
      ] as const;
      for (const field of optional) {
        const cell = values[field];
        if (cell !== undefined) line[field] = cellRule(field).number === true ? withoutThousands(cell) : cell;
      }
      return line;
    });
    return draft;
  }
}

/** Reads every row and plans the import. */
export async function planImport(rows: AsyncIterable<SheetRow>, options: PlanOptions): Promise<ImportPlan> {
  const planner = new ImportPlanner(options);
  for await (const row of rows) planner.add(row);
  return planner.finish();
}

/** Every problem of a plan, file-level first, then by sheet row. */
export function allProblems(plan: ImportPlan): ImportProblem[] {
  return [...plan.fileProblems, ...plan.invoices.flatMap((invoice) => invoice.problems)].sort(
    (a, b) => a.row - b.row,
  );
}
