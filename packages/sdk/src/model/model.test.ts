import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TaxDecimal } from "../tax/index.ts";
import { validateDiInvoice, validateImsInvoice } from "../validation/index.ts";
import type { DiInvoice } from "../wire/index.ts";
import {
  type BuildDiInvoiceOptions,
  buildDebitNote,
  buildDiInvoice,
  buildImsInvoice,
  type DiInvoiceDraft,
  type DiLineDraft,
  type ImsInvoiceDraft,
  InvalidHsCodeError,
  InvoiceDraftError,
  pctCodeFromHsCode,
} from "./index.ts";

function readJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, import.meta.url), "utf8")) as T;
}

interface DiVectors {
  seller: DiInvoiceDraft["seller"];
  buyer: Omit<DiInvoiceDraft["buyer"], "registrationType">;
  date: string;
  cases: {
    name: string;
    registrationType: "Registered" | "Unregistered";
    options?: BuildDiInvoiceOptions;
    lines: DiLineDraft[];
    items: Record<string, unknown>[];
  }[];
}
interface ImsVectors {
  cases: {
    name: string;
    draft: ImsInvoiceDraft;
    header: Record<string, unknown>;
    items: Record<string, unknown>[];
  }[];
}

const diVectors = readJson<DiVectors>("./di-builder.vectors.json");
const malformed = readJson<{
  di: { name: string; draft: unknown; path: string }[];
  ims: { name: string; draft: unknown; path: string }[];
}>("./malformed-drafts.vectors.json");
const scenarioBuild = readJson<{ notBuildable: Record<string, string> }>("./scenario-build.vectors.json");
interface PralScenario {
  scenarioId: string;
  saleTypeOnWire: string;
  transTypeId: number;
  sampleHeader: { buyerNTNCNIC: string; buyerRegistrationType?: string };
  sampleItem: Record<string, string | number>;
}
const pralScenarios = readJson<{ scenarios: PralScenario[] }>(
  "../../../../spec/data/di-scenarios.json",
).scenarios;
const registryTransactionTypes = readJson<{
  transactionTypes: { transactioN_TYPE_ID: number; transactioN_DESC: string }[];
}>("../../../../spec/data/di-transaction-types.json").transactionTypes;
const imsVectors = readJson<ImsVectors>("./ims-builder.vectors.json");

const MONEY_FIELDS = [
  "totalValues",
  "valueSalesExcludingST",
  "fixedNotifiedValueOrRetailPrice",
  "salesTaxApplicable",
  "salesTaxWithheldAtSource",
  "furtherTax",
  "fedPayable",
  "discount",
] as const;

/** Digits after the decimal point in the JSON text of a number. */
function jsonDecimals(value: number): number {
  const text = JSON.stringify(value);
  return text.includes("e") ? 99 : (text.split(".")[1]?.length ?? 0);
}

function expectStrictWireNumbers(invoice: DiInvoice): void {
  for (const item of invoice.items) {
    for (const field of MONEY_FIELDS) expect(jsonDecimals(item[field]), field).toBeLessThanOrEqual(2);
    if (item.extraTax !== "") expect(jsonDecimals(item.extraTax)).toBeLessThanOrEqual(2);
    expect(jsonDecimals(item.quantity)).toBeLessThanOrEqual(4);
  }
}

function draftFor(
  registrationType: "Registered" | "Unregistered",
  lines: DiLineDraft[],
  extra: Partial<DiInvoiceDraft> = {},
): DiInvoiceDraft {
  return {
    seller: diVectors.seller,
    buyer: { ...diVectors.buyer, registrationType },
    date: diVectors.date,
    lines,
    ...extra,
  };
}

const standardLine: DiLineDraft = {
  hsCode: "0101.2100",
  description: "Widget",
  uoM: "Numbers, pieces, units",
  quantity: "2",
  unitPrice: "500",
  saleType: "Goods at standard rate (default)",
  rate: "18%",
};

function draftError(run: () => unknown): InvoiceDraftError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvoiceDraftError) return error;
    throw error;
  }
  throw new Error("expected an InvoiceDraftError");
}

describe("buildDiInvoice", () => {
  it.each(diVectors.cases)("$name", (vector) => {
    const invoice = buildDiInvoice(draftFor(vector.registrationType, vector.lines), vector.options ?? {});
    expect(invoice.items).toHaveLength(vector.items.length);
    vector.items.forEach((expected, index) => {
      expect(invoice.items[index]).toMatchObject(expected);
    });
    expectStrictWireNumbers(invoice);
  });

  it("every vector's payload passes our own FBR validation (one check of builder against validator)", () => {
    const now = new Date("2025-06-01T00:00:00Z");
    for (const vector of diVectors.cases) {
      const invoice = buildDiInvoice(draftFor(vector.registrationType, vector.lines), vector.options ?? {});
      const result = validateDiInvoice(invoice, { now });
      expect(
        result.issues.map((issue) => `${issue.code} ${issue.path}`),
        vector.name,
      ).toEqual([]);
    }
  });

  it("maps the header in FBR's spellings", () => {
    const invoice = buildDiInvoice(draftFor("Registered", [standardLine], { invoiceRefNo: "SI-001" }));
    expect(invoice).toMatchObject({
      invoiceType: "Sale Invoice",
      invoiceDate: "2025-05-13",
      sellerNTNCNIC: "7000007",
      sellerBusinessName: "Demo Traders",
      sellerProvince: "Sindh",
      sellerAddress: "Karachi",
      buyerNTNCNIC: "2046004",
      buyerBusinessName: "Buyer Co",
      buyerProvince: "Punjab",
      buyerAddress: "Lahore",
      buyerRegistrationType: "Registered",
      invoiceRefNo: "SI-001",
    });
    expect(invoice.items[0]).toMatchObject({
      hsCode: "0101.2100",
      productDescription: "Widget",
      rate: "18%",
      uoM: "Numbers, pieces, units",
      sroScheduleNo: "",
      sroItemSerialNo: "",
    });
    expect("scenarioId" in invoice).toBe(false);
    expect("reason" in invoice).toBe(false);
  });

  it("reads a Date on the Pakistan calendar (20:30 UTC is already the next day in Karachi)", () => {
    const invoice = buildDiInvoice(
      draftFor("Registered", [standardLine], { date: new Date("2025-05-12T20:30:00Z") }),
    );
    expect(invoice.invoiceDate).toBe("2025-05-13");
    const sameDay = buildDiInvoice(
      draftFor("Registered", [standardLine], { date: new Date("2025-05-12T18:59:59Z") }),
    );
    expect(sameDay.invoiceDate).toBe("2025-05-12");
  });

  it("sends scenarioId only where it belongs", () => {
    const draft = draftFor("Registered", [standardLine], { scenarioId: "SN001" });
    expect(buildDiInvoice(draft, { sandbox: true }).scenarioId).toBe("SN001");
    expect("scenarioId" in buildDiInvoice(draft, { sandbox: false })).toBe(false);
    expect(buildDiInvoice(draft).scenarioId).toBe("SN001");
    expect(
      draftError(() => buildDiInvoice(draftFor("Registered", [standardLine]), { sandbox: true })).path,
    ).toBe("scenarioId");
  });

  it("keeps a sale type the snapshot does not know, and uses an injected registry lookup", () => {
    const unknown = buildDiInvoice(draftFor("Registered", [{ ...standardLine, saleType: "Brand new type" }]));
    expect(unknown.items[0]?.saleType).toBe("Brand new type");
    const injected = buildDiInvoice(draftFor("Registered", [standardLine]), {
      findSaleType: (saleType) =>
        saleType.startsWith("Goods at standard") ? "GOODS AT STANDARD RATE" : undefined,
    });
    expect(injected.items[0]?.saleType).toBe("GOODS AT STANDARD RATE");
  });

  it("sends petroleumLevyOn only when given", () => {
    const line: DiLineDraft = {
      ...standardLine,
      saleType: "Petroleum Products",
      rate: "1.43%",
      petroleumLevyOn: "Y",
    };
    const invoice = buildDiInvoice(draftFor("Registered", [line]));
    expect(invoice.items[0]?.petroleumLevyOn).toBe("Y");
    expect("petroleumLevyOn" in (buildDiInvoice(draftFor("Registered", [standardLine])).items[0] ?? {})).toBe(
      false,
    );
  });

  it("takes an explicit further tax over the computed one", () => {
    const invoice = buildDiInvoice(draftFor("Unregistered", [{ ...standardLine, furtherTax: "120" }]));
    expect(invoice.items[0]).toMatchObject({ furtherTax: 120, totalValues: 1300 });
  });

  it.each([
    {
      name: "unknown rate",
      line: { ...standardLine, rate: "eighteen" },
      path: "lines[0].rate",
      fbrCode: "0046",
    },
    {
      name: "3rd Schedule without retail price",
      line: { ...standardLine, saleType: " 3rd Schedule Goods " },
      path: "lines[0].retailPrice",
      fbrCode: "0090",
    },
    {
      name: "extra tax on a reduced-rate line",
      line: { ...standardLine, saleType: "Goods at Reduced Rate", rate: "1%", extraTax: "5" },
      path: "lines[0].extraTax",
      fbrCode: "0091",
    },
    { name: "quantity not a number", line: { ...standardLine, quantity: "two" }, path: "lines[0].quantity" },
    { name: "negative quantity", line: { ...standardLine, quantity: "-1" }, path: "lines[0].quantity" },
    {
      name: "discount above the value",
      line: { ...standardLine, discount: "1000.01" },
      path: "lines[0].discount",
    },
    {
      name: "blank HS code",
      line: { ...standardLine, hsCode: " " },
      path: "lines[0].hsCode",
      fbrCode: "0019",
    },
  ])("refuses a line with $name, naming the field", ({ line, path, fbrCode }) => {
    const error = draftError(() => buildDiInvoice(draftFor("Registered", [line])));
    expect(error.path).toBe(path);
    expect(error.fbrCode).toBe(fbrCode);
    expect(error.message).toContain(path);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: "invoice_draft", path });
  });

  it("refuses drafts that cannot be an invoice", () => {
    expect(draftError(() => buildDiInvoice(draftFor("Registered", []))).path).toBe("lines");
    expect(
      draftError(() => buildDiInvoice(draftFor("Registered", [standardLine], { date: "2025-02-30" })))
        .fbrCode,
    ).toBe("0005");
    expect(
      draftError(() => buildDiInvoice(draftFor("Registered", [standardLine], { date: "13/05/2025" }))).path,
    ).toBe("date");
    expect(
      draftError(() => buildDiInvoice(draftFor("Registered", [standardLine]), { furtherTaxRate: "-1" })).path,
    ).toBe("options.furtherTaxRate");
    const credit = {
      ...draftFor("Registered", [standardLine]),
      invoiceType: "Credit Note",
    } as unknown as DiInvoiceDraft;
    expect(draftError(() => buildDiInvoice(credit)).fbrCode).toBe("0003");
  });

  it("refuses an amount a JSON number cannot carry exactly, naming the line", () => {
    const huge = { ...standardLine, quantity: "1", unitPrice: "1234567890123456.78" };
    const error = draftError(() => buildDiInvoice(draftFor("Registered", [standardLine, huge])));
    expect(error.path).toBe("lines[1]");
    expect(error.message).toMatch(/too many digits/);
  });

  it("lets an unregistered buyer go without an NTN/CNIC", () => {
    const draft = draftFor("Unregistered", [standardLine]);
    const invoice = buildDiInvoice({ ...draft, buyer: { ...draft.buyer, ntnCnic: "" } });
    expect(invoice.buyerNTNCNIC).toBe("");
    expect(invoice.buyerRegistrationType).toBe("Unregistered");
  });
});

describe("PRAL's scenario samples rebuilt from drafts", () => {
  const buildable = pralScenarios.filter((scenario) => !(scenario.scenarioId in scenarioBuild.notBuildable));

  it("lists every unbuildable sample with a reason, and only real ones", () => {
    for (const [scenarioId, reason] of Object.entries(scenarioBuild.notBuildable)) {
      const sample = pralScenarios.find((scenario) => scenario.scenarioId === scenarioId)?.sampleItem;
      expect(reason).toMatch(/\S/);
      expect(new TaxDecimal(sample?.quantity ?? 1).isZero(), scenarioId).toBe(true);
    }
    expect(buildable.length).toBe(pralScenarios.length - Object.keys(scenarioBuild.notBuildable).length);
  });

  it.each(buildable)(
    "$scenarioId: same value, same tax, registry sale type, no tax or sale-type code",
    (scenario) => {
      const sample = scenario.sampleItem;
      const quantity = new TaxDecimal(sample.quantity ?? 0);
      const retail = new TaxDecimal(sample.fixedNotifiedValueOrRetailPrice ?? 0);
      const line: DiLineDraft = {
        hsCode: String(sample.hsCode),
        description: String(sample.productDescription || "Sample item"),
        uoM: String(sample.uoM),
        quantity: quantity.toString(),
        unitPrice: new TaxDecimal(sample.valueSalesExcludingST ?? 0)
          .plus(sample.discount ?? 0)
          .dividedBy(quantity)
          .toString(),
        discount: String(sample.discount ?? 0),
        saleType: String(sample.saleType).trim(),
        rate: String(sample.rate),
        sroScheduleNo: String(sample.sroScheduleNo ?? ""),
        sroItemSerialNo: String(sample.sroItemSerialNo ?? ""),
        salesTaxWithheldAtSource: String(sample.salesTaxWithheldAtSource ?? 0),
        fedPayable: String(sample.fedPayable ?? 0),
      };
      if (!retail.isZero()) line.retailPrice = retail.dividedBy(quantity).toString();
      const registrationType =
        scenario.sampleHeader.buyerRegistrationType === "Registered" ? "Registered" : "Unregistered";
      const invoice = buildDiInvoice(
        {
          seller: diVectors.seller,
          buyer: { ...diVectors.buyer, ntnCnic: scenario.sampleHeader.buyerNTNCNIC, registrationType },
          date: diVectors.date,
          scenarioId: scenario.scenarioId,
          lines: [line],
        },
        { sandbox: true },
      );
      const item = invoice.items[0];
      expect(item?.valueSalesExcludingST).toBe(Number(sample.valueSalesExcludingST));
      expect(item?.salesTaxApplicable).toBe(Number(sample.salesTaxApplicable));
      // The registry row of the scenario's transaction type, padding and all (" 3rd Schedule Goods ").
      const registryRow = registryTransactionTypes.find(
        (row) => row.transactioN_TYPE_ID === scenario.transTypeId,
      );
      expect(item?.saleType).toBe(registryRow?.transactioN_DESC);
      const codes = validateDiInvoice(invoice, {
        now: new Date("2025-06-01T00:00:00Z"),
        sandbox: true,
      }).issues.map((issue) => issue.code);
      expect(codes.filter((code) => ["0102", "0103", "0104", "0105", "0013", "0204"].includes(code))).toEqual(
        [],
      );
    },
  );
});

describe("buildDebitNote", () => {
  const original = { fbrInvoiceNumber: "7000007DI1747119701593", invoiceDate: "2025-05-13" };
  const noteDraft = {
    seller: diVectors.seller,
    buyer: { ...diVectors.buyer, registrationType: "Registered" as const },
    date: "2025-06-01",
    lines: [{ ...standardLine, quantity: "1" }],
  };

  it("builds a Debit Note with invoiceRefNo and reason", () => {
    const note = buildDebitNote(original, noteDraft, "Change in value of supply");
    expect(note).toMatchObject({
      invoiceType: "Debit Note",
      invoiceRefNo: "7000007DI1747119701593",
      reason: "Change in value of supply",
      invoiceDate: "2025-06-01",
    });
    expect(note.items[0]).toMatchObject({
      valueSalesExcludingST: 500,
      salesTaxApplicable: 90,
      totalValues: 590,
    });
    expect("reasonRemarks" in note).toBe(false);
  });

  it("sends reasonRemarks with Others", () => {
    const note = buildDebitNote(original, noteDraft, "Others", "Price revision agreed on 30 May");
    expect(note.reasonRemarks).toBe("Price revision agreed on 30 May");
  });

  it.each([
    {
      name: "no original number",
      run: () => buildDebitNote({ fbrInvoiceNumber: "" }, noteDraft, "Others", "x"),
      code: "0026",
    },
    { name: "no reason", run: () => buildDebitNote(original, noteDraft, " "), code: "0027" },
    {
      name: "Others without remarks",
      run: () => buildDebitNote(original, noteDraft, "Others"),
      code: "0028",
    },
    {
      name: "an unregistered buyer",
      run: () =>
        buildDebitNote(
          original,
          { ...noteDraft, buyer: { ...noteDraft.buyer, registrationType: "Unregistered" } },
          "Return of goods",
        ),
      code: "0106",
    },
    {
      name: "a date before the original",
      run: () => buildDebitNote(original, { ...noteDraft, date: "2025-05-12" }, "Return of goods"),
      code: "0029",
    },
    {
      name: "a date 181 days after the original",
      run: () => buildDebitNote(original, { ...noteDraft, date: "2025-11-10" }, "Return of goods"),
      code: "0034",
    },
  ])("refuses $name with FBR's code $code", ({ run, code }) => {
    expect(draftError(run).fbrCode).toBe(code);
  });

  it("accepts the 180th day", () => {
    expect(
      buildDebitNote(original, { ...noteDraft, date: "2025-11-09" }, "Return of goods").invoiceDate,
    ).toBe("2025-11-09");
  });
});

describe("buildImsInvoice", () => {
  it.each(imsVectors.cases)("$name", (vector) => {
    const invoice = buildImsInvoice(vector.draft);
    expect(invoice).toMatchObject(vector.header);
    expect(invoice.Items).toHaveLength(vector.items.length);
    vector.items.forEach((expected, index) => {
      expect(invoice.Items[index]).toMatchObject(expected);
    });
  });

  it("keeps the header equal to the sums of the items it sends, for awkward values", () => {
    const lines = Array.from({ length: 25 }, (_, index) => ({
      itemCode: `I${index}`,
      itemName: `Item ${index}`,
      hsCode: "0101.2100",
      quantity: `${index + 1}.3333`,
      unitPrice: `${(index * 7.77 + 0.05).toFixed(3)}`,
      discount: index % 3 === 0 ? "0.005" : "0",
      taxRate: index % 2 === 0 ? "17" : "18",
      furtherTax: index % 4 === 0 ? "1.115" : "0",
    }));
    const invoice = buildImsInvoice({
      posId: 110014,
      usin: "SUMS",
      dateTime: "2025-05-13 12:00:00",
      paymentMode: "mixed",
      lines,
    });
    const sumCents = (pick: (item: (typeof invoice.Items)[number]) => number) =>
      invoice.Items.reduce((sum, item) => sum + Math.round(pick(item) * 100), 0);
    expect(Math.round(invoice.TotalSaleValue * 100)).toBe(sumCents((item) => item.SaleValue));
    expect(Math.round(invoice.TotalTaxCharged * 100)).toBe(sumCents((item) => item.TaxCharged));
    expect(Math.round(invoice.Discount * 100)).toBe(sumCents((item) => item.Discount));
    expect(Math.round(invoice.FurtherTax * 100)).toBe(sumCents((item) => item.FurtherTax));
    expect(Math.round(invoice.TotalBillAmount * 100)).toBe(sumCents((item) => item.TotalAmount));
    expect(Math.round(invoice.TotalQuantity * 10_000)).toBe(
      invoice.Items.reduce((sum, item) => sum + Math.round(item.Quantity * 10_000), 0),
    );
    for (const item of invoice.Items) {
      expect(Math.round(item.TotalAmount * 100)).toBe(
        Math.round(item.SaleValue * 100) +
          Math.round(item.TaxCharged * 100) +
          Math.round(item.FurtherTax * 100),
      );
      for (const value of [
        item.SaleValue,
        item.TaxCharged,
        item.TotalAmount,
        item.Discount,
        item.FurtherTax,
      ]) {
        expect(jsonDecimals(value)).toBeLessThanOrEqual(2);
      }
    }
    expect(invoice.PaymentMode).toBe(5);
  });

  it("every vector's payload passes our own IMS validation", () => {
    for (const vector of imsVectors.cases) {
      const result = validateImsInvoice(buildImsInvoice(vector.draft));
      expect(
        result.issues.map((issue) => `${issue.code} ${issue.path}`),
        vector.name,
      ).toEqual([]);
    }
  });

  it("formats a Date as yyyy-MM-dd HH:mm:ss on the Pakistan wall clock", () => {
    const invoice = buildImsInvoice({
      posId: 110014,
      usin: "T-1",
      dateTime: new Date("2025-05-13T19:30:05Z"),
      paymentMode: "cash",
      lines: [
        { itemCode: "A", itemName: "A", hsCode: "0101.2100", quantity: 1, unitPrice: 100, taxRate: 17 },
      ],
    });
    expect(invoice.DateTime).toBe("2025-05-14 00:30:05");
  });

  it.each([
    { name: "credit without refUsin", change: { invoiceKind: "credit" }, path: "refUsin" },
    { name: "bad POSID", change: { posId: "POS-1" }, path: "posId" },
    { name: "blank USIN", change: { usin: "" }, path: "usin" },
    { name: "bad date time", change: { dateTime: "2025-05-13T12:00:00" }, path: "dateTime" },
    { name: "unknown payment mode", change: { paymentMode: "crypto" }, path: "paymentMode" },
    { name: "no lines", change: { lines: [] }, path: "lines" },
    {
      name: "a bad HS code",
      change: {
        lines: [{ itemCode: "A", itemName: "A", hsCode: "0101", quantity: 1, unitPrice: 1, taxRate: 17 }],
      },
      path: "lines[0].hsCode",
    },
    {
      name: "an amount a JSON number cannot carry exactly",
      change: {
        lines: [
          {
            itemCode: "A",
            itemName: "A",
            hsCode: "0101.2100",
            quantity: 1,
            unitPrice: "1234567890123456.78",
            taxRate: 0,
          },
        ],
      },
      path: "lines[0]",
    },
    {
      name: "3rd Schedule without retail price",
      change: {
        lines: [
          {
            itemCode: "A",
            itemName: "A",
            hsCode: "0101.2100",
            quantity: 1,
            unitPrice: 1,
            taxRate: 17,
            thirdSchedule: true,
          },
        ],
      },
      path: "lines[0].retailPrice",
    },
  ])("refuses $name", ({ change, path }) => {
    const base: ImsInvoiceDraft = {
      posId: 110014,
      usin: "T-1",
      dateTime: "2025-05-13 12:00:00",
      paymentMode: "cash",
      lines: [
        { itemCode: "A", itemName: "A", hsCode: "0101.2100", quantity: 1, unitPrice: 100, taxRate: 17 },
      ],
    };
    const draft = { ...base, ...change } as ImsInvoiceDraft;
    expect(draftError(() => buildImsInvoice(draft)).path).toBe(path);
  });
});

describe("pctCodeFromHsCode", () => {
  it.each([
    ["0101.2100", "01012100"],
    [" 8481.8090 ", "84818090"],
    ["11001010", "11001010"],
  ])("%j → %s", (hsCode, pct) => {
    expect(pctCodeFromHsCode(hsCode)).toBe(pct);
  });

  it.each(["", "0101", "0101.21", "0101-2100", "ABCD.EFGH", "0101.21000", "123456789"])(
    "refuses %j clearly",
    (bad) => {
      expect(() => pctCodeFromHsCode(bad)).toThrow(InvalidHsCodeError);
      expect(() => pctCodeFromHsCode(bad)).toThrow(/NNNN\.NNNN/);
    },
  );
});

describe("malformed drafts from untrusted JSON", () => {
  it.each(malformed.di)("DI: $name → InvoiceDraftError at $path", ({ draft, path }) => {
    expect(draftError(() => buildDiInvoice(draft as DiInvoiceDraft)).path).toBe(path);
  });

  it.each(malformed.ims)("IMS: $name → InvoiceDraftError at $path", ({ draft, path }) => {
    expect(draftError(() => buildImsInvoice(draft as ImsInvoiceDraft)).path).toBe(path);
  });

  it("debit note: a null draft or original is a draft error", () => {
    expect(
      draftError(() =>
        buildDebitNote({ fbrInvoiceNumber: "X" }, null as unknown as DiInvoiceDraft, "Others", "x"),
      ).path,
    ).toBe("draft");
    expect(
      draftError(() =>
        buildDebitNote(
          null as unknown as { fbrInvoiceNumber: string },
          draftFor("Registered", [standardLine]),
          "Others",
          "x",
        ),
      ).path,
    ).toBe("original.fbrInvoiceNumber");
  });
});
