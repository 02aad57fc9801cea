import { describe, expect, it } from "vitest";
import documentation from "../../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import integrations from "../../../../spec/vectors/ims/pos-integrations.json" with { type: "json" };
import { validateImsInvoice } from "./ims.ts";
import { checkImsInvoice, normaliseImsDateTime, normaliseImsInvoice } from "./ims-input.ts";

describe("normaliseImsDateTime", () => {
  it.each([
    ["2020-01-01 12:00:00", "2020-01-01 12:00:00"],
    ["2020-01-01T12:00:00", "2020-01-01 12:00:00"],
    ["2020-01-01 12:00", "2020-01-01 12:00:00"],
    // Newtonsoft's default for a local DateTime: 7 fractional digits and the offset.
    ["2021-05-10T12:30:45.1234567+05:00", "2021-05-10 12:30:45"],
    // UTC instants are shown as Pakistan time (UTC+5).
    ["2021-05-10T07:30:45Z", "2021-05-10 12:30:45"],
    ["2021-05-10T21:30:45.000Z", "2021-05-11 02:30:45"],
    ["2021-05-10T12:30:45+0000", "2021-05-10 17:30:45"],
    // .NET JSON dates count milliseconds since the Unix epoch in UTC.
    ["/Date(1710510127000)/", "2024-03-15 18:42:07"],
    ["/Date(1710510127000+0500)/", "2024-03-15 18:42:07"],
  ])("reads %s as %s", (input, expected) => {
    expect(normaliseImsDateTime(input)).toBe(expected);
  });

  it.each([
    "2021-02-30 10:00:00",
    "2021-13-01 10:00:00",
    "2021-05-10 25:00:00",
    "10/05/2021 12:30",
    "yesterday",
    "",
  ])("refuses %s", (input) => {
    expect(normaliseImsDateTime(input)).toBeUndefined();
  });
});

describe("normaliseImsInvoice", () => {
  it("decodes FBR's KB model, keeping FBR's figures and DateTime", () => {
    const result = normaliseImsInvoice(documentation.kbModel);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.invoice).toMatchObject({
      InvoiceNumber: "",
      POSID: 110014,
      USIN: "USIN0",
      DateTime: "2020-01-01 12:00:00",
      // The sample's dashed CNIC exceeds varchar(13); its 13 digits are sent.
      BuyerCNIC: "1234512345678",
      TotalSaleValue: 1298,
      TotalTaxCharged: 221,
      Discount: 380,
      TotalBillAmount: 1519,
      PaymentMode: 1,
      InvoiceType: 1,
    });
    expect(result.invoice.Items[0]).toMatchObject({ PCTCode: "11001010", TaxRate: 17, TaxCharged: 221 });
    expect(result.invoice).not.toHaveProperty("RefUSIN");
  });

  it("decodes the .NET sample's ISO DateTime with 7 fractional digits", () => {
    const result = normaliseImsInvoice(documentation.dotNetSample);
    expect(result.ok && result.invoice.DateTime).toBe("2021-05-10 12:30:45");
  });

  it("decodes camelCase keys and numbers sent as strings", () => {
    const result = normaliseImsInvoice(integrations.stringNumbersCamelCase);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.invoice.POSID).toBe(110014);
    expect(result.invoice.TotalBillAmount).toBe(1180);
    expect(result.invoice.PaymentMode).toBe(2);
    expect(result.invoice.Items.map((item) => item.TaxCharged)).toEqual([144, 36]);
    // Blank optional buyer fields are left out rather than sent as "".
    expect(result.invoice).not.toHaveProperty("BuyerNTN");
  });

  it("decodes .NET /Date(ms)/ dates and enum names", () => {
    const result = normaliseImsInvoice(integrations.dotNetJavaScriptSerializer);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.invoice).toMatchObject({
      DateTime: "2024-03-15 18:42:07",
      PaymentMode: 1,
      InvoiceType: 1,
      InvoiceNumber: "",
    });
  });

  it("shows a JavaScript till's UTC Date.toJSON() as Pakistan time", () => {
    const result = normaliseImsInvoice(integrations.javascriptDateToJson);
    expect(result.ok && result.invoice.DateTime).toBe("2024-03-15 18:42:07");
    expect(result.ok && result.invoice.TotalQuantity).toBe(2.5);
  });

  it("keeps RefUSIN on a credit note and its lines", () => {
    const result = normaliseImsInvoice(integrations.creditNote);
    expect(result.ok && result.invoice.RefUSIN).toBe("POS1-000123");
    expect(result.ok && result.invoice.Items[0]?.RefUSIN).toBe("POS1-000123");
  });

  it("fills a missing POSID from the listener's till and derives a missing TotalQuantity", () => {
    const { POSID: _posId, TotalQuantity: _quantity, ...rest } = documentation.kbModel;
    const result = normaliseImsInvoice(rest, { defaultPosId: 110014 });
    expect(result.ok && result.invoice.POSID).toBe(110014);
    expect(result.ok && result.invoice.TotalQuantity).toBe(1);
  });

  it("reports every problem in one pass, header and items, with FBR field names and 1-based items", () => {
    const body = {
      USIN: "",
      DateTime: "not a date",
      TotalSaleValue: "12,000",
      TotalTaxCharged: 10,
      TotalBillAmount: 10,
      PaymentMode: 9,
      InvoiceType: 1,
      Items: [
        {
          ItemCode: "A",
          ItemName: "a",
          PCTCode: "1",
          Quantity: 1,
          TaxRate: 17,
          SaleValue: 1,
          TaxCharged: 1,
          TotalAmount: 2,
          InvoiceType: 1,
        },
        {
          ItemCode: "B",
          ItemName: "b",
          Quantity: "x",
          TaxRate: 17,
          SaleValue: 1,
          TaxCharged: 1,
          TotalAmount: 2,
          InvoiceType: 7,
        },
      ],
    };
    const result = normaliseImsInvoice(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const found = result.issues.map((issue) => `${issue.path}:${issue.code}:${issue.item ?? "-"}`);
    expect(found).toEqual([
      "POSID:RIMS02:-",
      "USIN:RIMS03:-",
      "DateTime:RIMS04:-",
      "TotalSaleValue:RIMS09:-",
      "PaymentMode:RIMS05:-",
      "Items[1].PCTCode:RIMS08:2",
      "Items[1].Quantity:RIMS09:2",
      "Items[1].InvoiceType:RIMS07:2",
    ]);
    expect(result.issues.every((issue) => issue.message.length > 0)).toBe(true);
    // The partial body carries FBR's casing so the validator can add business-rule issues.
    expect(result.partial).toHaveProperty("TotalTaxCharged", 10);
  });

  it("describes a wrong value without echoing it whole, and answers any nesting with one problem", () => {
    const body = structuredClone(documentation.kbModel) as Record<string, unknown>;
    body.TotalSaleValue = `${"9".repeat(5_000)}x`;
    body.TotalTaxCharged = { value: { amount: 1 } };
    const result = normaliseImsInvoice(body);
    if (result.ok) throw new Error("expected problems");
    const byField = new Map(result.issues.map((issue) => [issue.field, issue.message]));
    expect(byField.get("TotalSaleValue")).toContain("(5001 characters)");
    expect(byField.get("TotalSaleValue")?.length).toBeLessThan(200);
    expect(byField.get("TotalTaxCharged")).toBe("TotalTaxCharged must be a number; received an object.");

    let deep: unknown = {};
    for (let level = 0; level < 100_000; level++) deep = { a: deep };
    const nested = normaliseImsInvoice({ ...documentation.kbModel, USIN: deep });
    expect(nested.ok).toBe(false);
    if (!nested.ok)
      expect(nested.issues.map((issue) => issue.message)).toEqual([
        "The body is nested more than 8 levels deep; the IMS model is an invoice with a list of items.",
      ]);
  });

  it.each([null, [], "text", 42])("refuses a body that is not an object: %j", (body) => {
    const result = normaliseImsInvoice(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.code).toBe("RIMS01");
  });
});

describe("checkImsInvoice: the one IMS verdict every entry point gives", () => {
  it("accepts FBR's own documented samples (dashed BuyerCNIC, ISO DateTime) that the bare validator refuses", () => {
    // The bare wire validator sees FBR's KB spelling as it is: 15-character CNIC (varchar(13)).
    expect(validateImsInvoice(documentation.kbModel).issues.map((issue) => issue.field)).toContain(
      "BuyerCNIC",
    );
    const kb = checkImsInvoice(documentation.kbModel);
    expect(kb).toMatchObject({ valid: true, issues: [] });
    expect(kb.invoice?.BuyerCNIC).toBe("1234512345678");
    const iso = checkImsInvoice({
      ...documentation.kbModel,
      DateTime: "2021-05-10T12:30:45.1234567+05:00",
      BuyerCNIC: "42101-1234567-8",
    });
    expect(iso).toMatchObject({ valid: true, issues: [] });
    expect(iso.invoice).toMatchObject({ DateTime: "2021-05-10 12:30:45", BuyerCNIC: "4210112345678" });
  });

  it.each(Object.entries(integrations).filter(([name]) => !name.startsWith("_")))(
    "takes the %s spelling the same way as its FBR form",
    (_name, body) => {
      const check = checkImsInvoice(body);
      expect(check.issues).toEqual([]);
      expect(check.invoice && validateImsInvoice(check.invoice).issues).toEqual([]);
    },
  );

  it("reports the normaliser's problem once, not again from the validator, and business rules beside it", () => {
    const body = {
      ...documentation.kbModel,
      TotalSaleValue: 5,
      Items: [{ ...documentation.kbModel.Items[0], TaxRate: "abc" }],
    };
    const check = checkImsInvoice(body);
    expect(check.valid).toBe(false);
    expect(check.invoice).toBeUndefined();
    expect(check.issues.map((issue) => `${issue.path}:${issue.code}`)).toEqual([
      "Items[0].TaxRate:RIMS09",
      "TotalSaleValue:RIMS10",
    ]);
  });

  it("fills POSID from the till it serves, and still checks it against the till's registration", () => {
    const { POSID: _posId, ...noPosId } = documentation.kbModel;
    expect(checkImsInvoice(noPosId, { defaultPosId: 110014 })).toMatchObject({ valid: true });
    expect(checkImsInvoice(noPosId).issues.map((issue) => issue.path)).toEqual(["POSID"]);
    const other = checkImsInvoice(documentation.kbModel, { posId: 110099 });
    expect(other.issues.map((issue) => `${issue.path}:${issue.code}`)).toEqual(["POSID:RIMS02"]);
  });
});
