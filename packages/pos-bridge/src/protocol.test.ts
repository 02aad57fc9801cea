import { describe, expect, it } from "vitest";
import documentation from "../test/vectors/fbr-documentation.json" with { type: "json" };
import integrations from "../test/vectors/pos-integrations.json" with { type: "json" };
import {
  BRIDGE_REPLY_CODES,
  decodeImsRequest,
  mergeProblems,
  normaliseImsDateTime,
  provisionalReply,
  successReply,
} from "./protocol.ts";

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

describe("decodeImsRequest", () => {
  it("decodes FBR's KB model, keeping FBR's figures and DateTime", () => {
    const result = decodeImsRequest(documentation.kbModel);
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
    const result = decodeImsRequest(documentation.dotNetSample);
    expect(result.ok && result.invoice.DateTime).toBe("2021-05-10 12:30:45");
  });

  it("decodes camelCase keys and numbers sent as strings", () => {
    const result = decodeImsRequest(integrations.stringNumbersCamelCase);
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
    const result = decodeImsRequest(integrations.dotNetJavaScriptSerializer);
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
    const result = decodeImsRequest(integrations.javascriptDateToJson);
    expect(result.ok && result.invoice.DateTime).toBe("2024-03-15 18:42:07");
    expect(result.ok && result.invoice.TotalQuantity).toBe(2.5);
  });

  it("keeps RefUSIN on a credit note and its lines", () => {
    const result = decodeImsRequest(integrations.creditNote);
    expect(result.ok && result.invoice.RefUSIN).toBe("POS1-000123");
    expect(result.ok && result.invoice.Items[0]?.RefUSIN).toBe("POS1-000123");
  });

  it("fills a missing POSID from the listener's till and derives a missing TotalQuantity", () => {
    const { POSID: _posId, TotalQuantity: _quantity, ...rest } = documentation.kbModel;
    const result = decodeImsRequest(rest, { defaultPosId: 110014 });
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
    const result = decodeImsRequest(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const found = result.problems.map((problem) => `${problem.Path}:${problem.Code}:${problem.Item ?? "-"}`);
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
    expect(result.problems.every((problem) => problem.Message.length > 0)).toBe(true);
    // The partial body carries FBR's casing so the sdk can add business-rule problems.
    expect(result.partial).toHaveProperty("TotalTaxCharged", 10);
  });

  it("describes a wrong value without echoing it whole, and answers any nesting with one problem", () => {
    const body = structuredClone(documentation.kbModel) as Record<string, unknown>;
    body.TotalSaleValue = `${"9".repeat(5_000)}x`;
    body.TotalTaxCharged = { value: { amount: 1 } };
    const result = decodeImsRequest(body);
    if (result.ok) throw new Error("expected problems");
    const byField = new Map(result.problems.map((problem) => [problem.Field, problem.Message]));
    expect(byField.get("TotalSaleValue")).toContain("(5001 characters)");
    expect(byField.get("TotalSaleValue")?.length).toBeLessThan(200);
    expect(byField.get("TotalTaxCharged")).toBe("TotalTaxCharged must be a number; received an object.");

    let deep: unknown = {};
    for (let level = 0; level < 100_000; level++) deep = { a: deep };
    const nested = decodeImsRequest({ ...documentation.kbModel, USIN: deep });
    expect(nested.ok).toBe(false);
    if (!nested.ok)
      expect(nested.problems.map((problem) => problem.Message)).toEqual([
        "The body is nested more than 8 levels deep; the IMS model is an invoice with a list of items.",
      ]);
  });

  it.each([null, [], "text", 42])("refuses a body that is not an object: %j", (body) => {
    const result = decodeImsRequest(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.Code).toBe("RIMS01");
  });
});

describe("replies", () => {
  it("answers success exactly as FBR's component does", () => {
    expect(JSON.stringify(successReply("9000052011142444901"))).toBe(
      '{"InvoiceNumber":"9000052011142444901","Code":"100","Response":"Fiscal Invoice Number generated successfully.","Errors":null}',
    );
  });

  it("answers provisionally with a non-100 code and a printable message", () => {
    const reply = provisionalReply("USIN0");
    expect(reply.Code).toBe(BRIDGE_REPLY_CODES.provisional);
    expect(reply.Code).not.toBe("100");
    expect(reply).toMatchObject({
      InvoiceNumber: "Not Available",
      Response: "Issued offline, pending FBR",
      USIN: "USIN0",
    });
  });

  it("merges problem lists without repeating a path an earlier list reported", () => {
    const a = { Code: "RIMS04", Field: "DateTime", Path: "DateTime", Item: null, Message: "bad" };
    const b = { Code: "RIMS10", Field: "TotalSaleValue", Path: "TotalSaleValue", Item: null, Message: "sum" };
    const c = { Code: "RIMS04", Field: "DateTime", Path: "datetime", Item: null, Message: "also bad" };
    expect(mergeProblems([a], [b, c])).toEqual([a, b]);
  });
});
