import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ColumnMapError, parseColumnMap, resolveColumns } from "./columns.ts";
import { allProblems, type ImportTenant, planImport } from "./plan.ts";
import { readSheetRows, SheetReadError, sheetKindOfBytes } from "./read-rows.ts";

const tenant: ImportTenant = {
  ntn: "7000007",
  name: "Demo Traders",
  province: "Sindh",
  address: "Karachi",
  environment: "production",
};

const HEADER =
  "invoiceRefNo,invoiceDate,buyerNTNCNIC,buyerBusinessName,buyerProvince,buyerAddress,buyerRegistrationType,hsCode,productDescription,rate,uoM,quantity,valueSalesExcludingST,salesTaxApplicable,saleType";
const line = (reference: string, extra: Partial<Record<"date" | "value" | "tax" | "buyer", string>> = {}) =>
  `${reference},${extra.date ?? "2026-01-15"},${extra.buyer ?? "1000000000000"},Walk-in,Sindh,Karachi,Unregistered,0101.2100,Widget,18%,"Numbers, pieces, units",2,${extra.value ?? "1000"},${extra.tax ?? "180"},Goods at standard rate (default)`;

async function plan(text: string, map = {}) {
  return planImport(readSheetRows(Readable.from([text]), "csv"), { tenant, map });
}

describe("planImport", () => {
  it("groups rows by reference wherever they are and fills the seller from the tenant", async () => {
    const result = await plan([HEADER, line("A-1"), line("B-1"), line("A-1")].join("\n"));
    expect(allProblems(result)).toEqual([]);
    expect(result.invoices.map((invoice) => [invoice.reference, invoice.rows])).toEqual([
      ["A-1", [2, 4]],
      ["B-1", [3]],
    ]);
    const first = result.invoices[0];
    expect(first?.idempotencyKey).toBe("import:7000007:A-1");
    expect(first?.body).toMatchObject({
      invoice: { sellerNTNCNIC: "7000007", sellerBusinessName: "Demo Traders", invoiceRefNo: "A-1" },
    });
    // Blank optional money cells are 0 and extraTax "", as FBR wants them.
    expect("invoice" in (first?.body ?? {}) && first?.body).toMatchObject({
      invoice: { items: [{ furtherTax: 0, fedPayable: 0, extraTax: "", valueSalesExcludingST: 1000 }, {}] },
    });
  });

  it("names a header field that differs between rows of one invoice (RIMP02)", async () => {
    const result = await plan([HEADER, line("A-1"), line("A-1", { date: "2026-01-16" })].join("\n"));
    expect(allProblems(result)).toContainEqual(
      expect.objectContaining({ row: 3, column: "invoiceDate", code: "RIMP02", reference: "A-1" }),
    );
  });

  it("reads thousands separators and maps FBR's codes to the row and column", async () => {
    const result = await plan([HEADER, line("A-1", { value: '"1,000.00"', tax: "181" })].join("\n"));
    expect(allProblems(result)).toEqual([
      expect.objectContaining({ row: 2, column: "salesTaxApplicable", code: "0104" }),
    ]);
  });

  it("refuses duplicate columns, a draft mixed with FBR's amounts, and a file with no reference column", async () => {
    const duplicate = await plan([`${HEADER},Invoice Ref No.`, `${line("A-1")},A-1`].join("\n"));
    expect(duplicate.fileProblems).toContainEqual(
      expect.objectContaining({ row: 1, column: "Invoice Ref No.", code: "RIMP04" }),
    );
    const mixed = await plan([`${HEADER},unitPrice`, `${line("A-1")},500`].join("\n"));
    expect(mixed.fileProblems).toContainEqual(expect.objectContaining({ code: "RIMP05" }));
    expect(mixed.invoices).toEqual([]);
    const noReference = await plan(["date,amount", "2026-01-15,5"].join("\n"));
    expect(noReference.fileProblems).toEqual([expect.objectContaining({ row: 1, code: "RIMP01" })]);
    // "date" is Raseed's draft word for invoiceDate; "amount" means nothing and is listed.
    expect(noReference.unknownColumns).toEqual(["amount"]);
  });

  it("counts empty rows in the numbering and reports a header with no data", async () => {
    const result = await plan([HEADER, "", line("A-1", { buyer: "12" })].join("\n"));
    expect(allProblems(result)).toContainEqual(
      expect.objectContaining({ row: 3, column: "buyerNTNCNIC", code: "0002" }),
    );
    const empty = await plan(HEADER);
    expect(empty.fileProblems).toEqual([expect.objectContaining({ code: "RIMP06" })]);
  });

  it("reads a percent-formatted rate (0.18) as FBR's text rate", async () => {
    const result = await plan([HEADER, line("A-1").replace(",18%,", ",0.18,")].join("\n"));
    expect(allProblems(result)).toEqual([]);
    expect(result.invoices[0]?.body).toMatchObject({ invoice: { items: [{ rate: "18%" }] } });
  });
});

describe("columns", () => {
  it("matches titles ignoring case, spaces and punctuation, and the --map first", () => {
    const resolved = resolveColumns(["Invoice Ref No", "HS CODE", "Bill", "Mystery"], { Bill: "quantity" });
    expect([...resolved.titles.entries()]).toEqual([
      ["invoiceRefNo", "Invoice Ref No"],
      ["hsCode", "HS CODE"],
      ["quantity", "Bill"],
    ]);
    expect(resolved.unknown).toEqual(["Mystery"]);
  });

  it("refuses a --map target that is not a field", () => {
    expect(() => parseColumnMap({ Bill: "billNumber" })).toThrow(ColumnMapError);
    expect(() => parseColumnMap(["x"])).toThrow(ColumnMapError);
  });
});

describe("sheetKindOfBytes", () => {
  it("tells an .xlsx (ZIP) from CSV and refuses an old .xls", () => {
    expect(sheetKindOfBytes(Buffer.from("PK\u0003\u0004rest", "latin1"))).toBe("xlsx");
    expect(sheetKindOfBytes(Buffer.from("invoiceRefNo,invoiceDate\n"))).toBe("csv");
    expect(() => sheetKindOfBytes(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1]))).toThrow(SheetReadError);
  });
});
