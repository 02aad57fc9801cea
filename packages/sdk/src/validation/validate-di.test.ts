import { describe, expect, it } from "vitest";
import { fbrErrorCatalogue } from "../errors/catalogue.ts";
import { validateDiInvoice } from "./di.ts";
import { validateImsInvoice } from "./ims.ts";
import { basePayload } from "./vectors/vector-runner.ts";

const now = new Date("2025-06-01T12:00:00Z");

describe("validateDiInvoice reports every problem in one pass", () => {
  it("returns header and item issues together, each with code, path, 1-based item, message and fix", () => {
    const invoice = basePayload("di-sale") as {
      invoiceType: string;
      invoiceDate: string;
      items: Record<string, unknown>[];
    };
    invoice.invoiceType = "Credit Note";
    invoice.invoiceDate = "2025-06-05";
    (invoice.items[0] as Record<string, unknown>).rate = "17%";
    (invoice.items[1] as Record<string, unknown>).discount = null;
    (invoice.items[1] as Record<string, unknown>).uoM = "Kilos";

    const result = validateDiInvoice(invoice, { now });
    expect(result.valid).toBe(false);
    expect(result.issues.map((issue) => [issue.code, issue.path, issue.item])).toEqual([
      ["0003", "invoiceType", undefined],
      ["0043", "invoiceDate", undefined],
      ["0046", "items[0].rate", 1],
      ["0099", "items[1].uoM", 2],
      ["0300", "items[1].discount", 2],
    ]);
    const rateIssue = result.issues[2];
    expect(rateIssue?.message).toContain('"17%"');
    expect(rateIssue?.message).toContain("18%");
    expect(rateIssue?.fix).toMatch(/SaleTypeToRate/);
  });

  it("never throws on hostile input", () => {
    for (const input of [
      undefined,
      null,
      0,
      "x",
      [],
      { items: "x" },
      { items: [null, 1, []] },
      { invoiceDate: 5 },
    ]) {
      expect(() => validateDiInvoice(input, { now, sandbox: true })).not.toThrow();
      expect(validateDiInvoice(input, { now }).valid).toBe(false);
      expect(() => validateImsInvoice(input)).not.toThrow();
      expect(validateImsInvoice(input).valid).toBe(false);
    }
  });

  it("uses the real clock when no now is given", () => {
    const invoice = basePayload("di-sale") as { invoiceDate: string };
    invoice.invoiceDate = "2999-01-01";
    expect(validateDiInvoice(invoice).issues.map((issue) => issue.code)).toEqual(["0043"]);
  });
});

// spec/README.md "Levels that differ from FBR's": the catalogue keeps FBR's level, the validator reports
// where the caller fixes it. These pin both halves so the prose and the code cannot drift apart.
describe("levels of 0058 and 0204", () => {
  it("0058: FBR reports self-invoicing on the item (spec §3); the validator once, on buyerNTNCNIC", () => {
    expect(fbrErrorCatalogue["0058"].level).toBe("item");
    const invoice = basePayload("di-sale") as Record<string, unknown>;
    invoice.buyerNTNCNIC = invoice.sellerNTNCNIC;
    invoice.buyerRegistrationType = "Registered";
    const selfInvoicing = validateDiInvoice(invoice, { now }).issues.filter((issue) => issue.code === "0058");
    expect(selfInvoicing.map((issue) => [issue.level, issue.path, issue.item])).toEqual([
      ["header", "buyerNTNCNIC", undefined],
    ]);
  });

  it("0204: the catalogue keeps the inferred header level; the validator names each wrong line", () => {
    expect(fbrErrorCatalogue["0204"].level).toBe("header");
    const invoice = basePayload("di-sale") as { scenarioId?: string; items: Record<string, unknown>[] };
    invoice.scenarioId = "SN001";
    (invoice.items[1] as Record<string, unknown>).saleType = "Services";
    const wrongSaleType = validateDiInvoice(invoice, { now, sandbox: true }).issues.filter(
      (issue) => issue.code === "0204",
    );
    expect(wrongSaleType.map((issue) => [issue.level, issue.path, issue.item])).toEqual([
      ["item", "items[1].saleType", 2],
    ]);
  });
});

describe("identical lines (an FBR-only check)", () => {
  const duplicateLines = (items: unknown[]) => {
    const invoice = { ...(basePayload("di-sale") as Record<string, unknown>), items };
    return validateDiInvoice(invoice, { now }).fbrWillCheck.find((check) => check.rule === "duplicate-lines");
  };
  const line = (basePayload("di-sale") as { items: Record<string, unknown>[] }).items[0] as Record<
    string,
    unknown
  >;
  const reordered = Object.fromEntries(Object.entries(line).reverse());

  it("names every line identical to another, whatever its key order", () => {
    const other = { ...line, productDescription: "another product" };
    expect(duplicateLines([line, other, reordered, { ...other }])?.items).toEqual([1, 2, 3, 4]);
    expect(duplicateLines([line, other, reordered])?.items).toEqual([1, 3]);
  });

  it("does not count lines that differ in one field, in their keys, or that hold a nested value", () => {
    expect(duplicateLines([line, { ...line, fixedNotifiedValueOrRetailPrice: 1 }])).toBeUndefined();
    expect(duplicateLines([line, { ...line, extra: "x" }])).toBeUndefined();
    const { sroItemSerialNo: _dropped, ...fewer } = line;
    expect(duplicateLines([line, { ...fewer, sroItemSerialNo: line.sroItemSerialNo }])?.items).toEqual([
      1, 2,
    ]);
    expect(
      duplicateLines([
        { ...line, nested: { a: 1 } },
        { ...line, nested: { a: 1 } },
      ]),
    ).toBeUndefined();
    expect(duplicateLines([line])).toBeUndefined();
  });
});
