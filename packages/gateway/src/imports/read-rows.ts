// Streams the rows of a CSV or XLSX file, one at a time, so a 100,000-row workbook is never held whole
// (csv-parse's stream API; exceljs's streaming WorkbookReader). Every cell becomes text, the way the user sees it.
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import type ExcelJS from "exceljs";

export type SheetKind = "csv" | "xlsx";

export interface SheetRow {
  /** The worksheet's name ("" for CSV). */
  sheet: string;
  /** The row number as a spreadsheet shows it: the header is row 1. */
  row: number;
  cells: string[];
}

export class SheetReadError extends Error {
  override readonly name = "SheetReadError";
}

/** The kind from a file name: .csv or .xlsx (anything else is refused; .xls is a different, binary format). */
export function sheetKindOf(fileName: string): SheetKind {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".xlsx")) return "xlsx";
  throw new SheetReadError(`"${fileName}" is neither .csv nor .xlsx (save an .xls workbook as .xlsx first)`);
}

/**
 * The kind from the first bytes of an upload (a browser's file name is only a hint): an .xlsx workbook is a
 * ZIP archive ("PK\x03\x04"); an old binary .xls is an OLE file and refused; anything else is read as CSV.
 */
export function sheetKindOfBytes(head: Buffer): SheetKind {
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return "xlsx";
  if (head.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw new SheetReadError("this is an old .xls workbook: save it as .xlsx (or CSV) first");
  }
  return "csv";
}

async function* csvRows(input: Readable): AsyncGenerator<SheetRow> {
  // bom: Excel's "CSV UTF-8" starts with one. relax_column_count: a short row is a row with empty cells.
  const parser = input.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: false }));
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row += 1;
      yield { sheet: "", row, cells: record };
    }
  } catch (error) {
    throw new SheetReadError(`CSV row ${row + 1}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Excel stores dates as UTC midnights; an invoice date is the calendar day the user typed. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return value;
  if (typeof value === "object") {
    if ("richText" in value) return value.richText.map((part) => part.text).join("");
    if ("result" in value) return cellText((value.result ?? null) as ExcelJS.CellValue);
    if ("text" in value && typeof value.text === "string") return value.text;
    if ("error" in value) return String(value.error);
  }
  return String(value);
}

async function* xlsxRows(input: Readable): AsyncGenerator<SheetRow> {
  // Loaded on first use: exceljs is large, and every `raseed` command would otherwise pay for it at start.
  const { default: excel } = await import("exceljs");
  const reader = new excel.stream.xlsx.WorkbookReader(input, {
    sharedStrings: "cache",
    hyperlinks: "ignore",
    // Styles tell a date cell from a number; without them dates arrive as serial numbers.
    styles: "cache",
    worksheets: "emit",
  });
  try {
    for await (const worksheet of reader) {
      const sheet = (worksheet as unknown as { name?: string }).name ?? "Sheet1";
      let any = false;
      for await (const row of worksheet) {
        any = true;
        const values = (row.values as ExcelJS.CellValue[]) ?? [];
        // exceljs rows are 1-based: values[0] is always empty.
        yield { sheet, row: row.number, cells: values.slice(1).map((value) => cellText(value)) };
      }
      // The invoices are on the first worksheet with data; later sheets (notes, lists) are not read.
      if (any) return;
    }
  } catch (error) {
    if (error instanceof SheetReadError) throw error;
    throw new SheetReadError(
      `not a readable .xlsx workbook (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** Rows of a CSV or XLSX stream in order, header first. Empty rows are yielded too (their numbers count). */
export function readSheetRows(input: Readable, kind: SheetKind): AsyncGenerator<SheetRow> {
  return kind === "csv" ? csvRows(input) : xlsxRows(input);
}

/** Rows of a file on disk. */
export function readSheetFile(path: string): AsyncGenerator<SheetRow> {
  return readSheetRows(createReadStream(path), sheetKindOf(path));
}
