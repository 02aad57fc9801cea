import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  diInvoiceSchema,
  diResponseSchema,
  formatWireIssues,
  imsFiscalNumber,
  imsInvoiceSchema,
  imsResponseSchema,
  parseFbrJson,
  parseWire,
  regTypeResponseSchema,
  saleTypeRateRowSchema,
  statlResponseSchema,
  transTypeRowSchema,
  wso2FaultSchema,
} from "./index.ts";
import { referenceListSchema } from "./reference-rows.ts";

const specData = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../../spec/data/${name}`, import.meta.url), "utf8"));

type Sample = { body?: unknown; status?: number };
const responseSamples = specData("di-response-samples.json") as Record<string, Sample>;
const ims = specData("ims.json") as { responses: Record<string, Record<string, unknown>> };
const referenceApi = specData("di-reference-api.json") as {
  referenceEndpoints: { name: string; sample?: unknown[]; responses?: unknown[] }[];
};

function expectOk<T>(result: ReturnType<typeof parseWire<T>>): T {
  if (!result.ok) throw new Error(`expected a successful parse, got:\n${formatWireIssues(result.issues)}`);
  return result.value;
}

describe("DI responses", () => {
  const withBodies = Object.entries(responseSamples).filter(([, sample]) => sample.body !== undefined);

  it("covers every response sample that has a body", () => {
    // 5 validationResponse bodies + 2 WSO2 faults in spec/data/di-response-samples.json.
    expect(withBodies.length).toBe(7);
  });

  it.each(withBodies)("parses sample %s", (name, sample) => {
    const body = sample.body as Record<string, unknown>;
    if ("fault" in body) {
      const fault = expectOk(parseWire(wso2FaultSchema, body));
      expect(fault.fault.code).toBeGreaterThan(900000);
    } else {
      const response = expectOk(parseWire(diResponseSchema, body));
      expect(response.validationResponse.statusCode).toMatch(/^0[01]$/);
      expect(name).toBeTruthy();
    }
  });

  it("reads a post success with its invoice number and item numbers", () => {
    const response = expectOk(parseWire(diResponseSchema, responseSamples.postSuccess?.body));
    expect(response.invoiceNumber).toBe("7000007DI1747119701593");
    expect(response.validationResponse.invoiceStatuses?.[0]?.invoiceNo).toBe("7000007DI1747119701593-1");
  });

  it("keeps an item-level rejection under a 00 header visible", () => {
    const response = expectOk(parseWire(diResponseSchema, responseSamples.postInvalidItem?.body));
    expect(response.validationResponse.statusCode).toBe("00");
    expect(response.validationResponse.status).toBe("invalid");
    expect(response.validationResponse.invoiceStatuses?.[0]).toEqual({
      itemSNo: "1",
      statusCode: "01",
      status: "Invalid",
      invoiceNo: null,
      errorCode: "0046",
      error: "Provide rate.",
    });
  });

  it("reads a header rejection with invoiceStatuses null and no invoice number", () => {
    const response = expectOk(parseWire(diResponseSchema, responseSamples.postInvalidHeader?.body));
    expect(response.invoiceNumber).toBeUndefined();
    expect(response.validationResponse.errorCode).toBe("0052");
    expect(response.validationResponse.invoiceStatuses).toBeNull();
  });

  it("reads validate's null errorCode on an item as an empty string", () => {
    const response = expectOk(parseWire(diResponseSchema, responseSamples.validateValid?.body));
    expect(response.validationResponse.errorCode).toBeNull();
    expect(response.validationResponse.invoiceStatuses?.[0]?.errorCode).toBe("");
    expect(response.validationResponse.invoiceStatuses?.[0]).not.toHaveProperty("invoiceNo");
  });

  it("is lenient with numbers where FBR promised strings", () => {
    const response = expectOk(
      parseWire(diResponseSchema, {
        invoiceNumber: null,
        validationResponse: {
          statusCode: 0,
          status: "Valid",
          errorCode: 52,
          error: null,
          invoiceStatuses: [
            { itemSNo: 1, statusCode: 1, status: "Invalid", invoiceNo: 0, errorCode: 46, error: "x" },
          ],
        },
      }),
    );
    expect(response).toEqual({
      validationResponse: {
        statusCode: "00",
        status: "Valid",
        errorCode: "0052",
        error: "",
        invoiceStatuses: [
          {
            itemSNo: "1",
            statusCode: "01",
            status: "Invalid",
            invoiceNo: "0",
            errorCode: "0046",
            error: "x",
          },
        ],
      },
    });
  });

  it("treats a missing invoiceStatuses as null", () => {
    const response = expectOk(
      parseWire(diResponseSchema, {
        validationResponse: { statusCode: "01", status: "Invalid", error: "x" },
      }),
    );
    expect(response.validationResponse.invoiceStatuses).toBeNull();
  });

  it("reports every problem of a malformed response with its path", () => {
    const result = parseWire(diResponseSchema, {
      validationResponse: {
        status: 7,
        error: "",
        invoiceStatuses: [{ itemSNo: "1", statusCode: {}, status: "x" }],
      },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((issue) => issue.path);
    expect(paths).toContain("validationResponse.statusCode");
    expect(paths).toContain("validationResponse.invoiceStatuses[0].statusCode");
    expect(result.issues.find((issue) => issue.path === "validationResponse.statusCode")?.message).toMatch(
      /expected a code string such as "00", got nothing \(the field is missing\)/,
    );
  });

  it("refuses a body without validationResponse, naming it", () => {
    const result = parseWire(diResponseSchema, { fault: { code: 900901 } });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: "validationResponse",
          message: "expected validationResponse (a JSON object), got nothing (the field is missing)",
        },
      ],
    });
  });

  it("refuses a non-object with a root issue", () => {
    const result = parseWire(diResponseSchema, "<html>");
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(formatWireIssues(result.issues)).toBe(
        '(root): expected a DI response (a JSON object), got "<html>"',
      );
  });
});

describe("WSO2 faults", () => {
  it("accepts a string code and a missing description", () => {
    expect(
      expectOk(parseWire(wso2FaultSchema, { fault: { code: "900802", message: "Message throttled out" } })),
    ).toEqual({
      fault: { code: 900802, message: "Message throttled out", description: "" },
    });
  });

  it("rejects a fault without a code", () => {
    const result = parseWire(wso2FaultSchema, { fault: { message: "x", description: "y" } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toBe("fault.code");
  });
});

describe("DI invoices", () => {
  const base = {
    invoiceType: "Sale Invoice",
    invoiceDate: "2025-04-21",
    sellerNTNCNIC: "7000007",
    sellerBusinessName: "Demo Traders",
    sellerProvince: "Sindh",
    sellerAddress: "Karachi",
    buyerNTNCNIC: "2046004",
    buyerBusinessName: "Buyer",
    buyerProvince: "Sindh",
    buyerAddress: "Karachi",
    buyerRegistrationType: "Registered",
    invoiceRefNo: "",
    scenarioId: "SN001",
  };
  const item = {
    hsCode: "0101.2100",
    productDescription: "test",
    rate: "18%",
    uoM: "Numbers, pieces, units",
    quantity: "1.0000",
    totalValues: 0,
    valueSalesExcludingST: "205000.00",
    fixedNotifiedValueOrRetailPrice: 0,
    salesTaxApplicable: "36900",
    salesTaxWithheldAtSource: 0,
    extraTax: "",
    furtherTax: 0,
    sroScheduleNo: "",
    fedPayable: 0,
    discount: 0,
    saleType: "Goods at standard rate (default)",
    sroItemSerialNo: "",
  };

  it('turns numeric strings into numbers and keeps extraTax ""', () => {
    const invoice = expectOk(parseWire(diInvoiceSchema, { ...base, items: [item] }));
    expect(invoice.items[0]?.valueSalesExcludingST).toBe(205000);
    expect(invoice.items[0]?.salesTaxApplicable).toBe(36900);
    expect(invoice.items[0]?.quantity).toBe(1);
    expect(invoice.items[0]?.extraTax).toBe("");
  });

  it("drops unknown header keys such as PRAL's dataSource and reads a null optional as absent", () => {
    const invoice = expectOk(
      parseWire(diInvoiceSchema, { ...base, buyerRegistrationType: null, dataSource: "", items: [item] }),
    );
    expect(invoice).not.toHaveProperty("dataSource");
    expect(invoice).not.toHaveProperty("buyerRegistrationType");
  });

  it("reports each bad field with its item path", () => {
    const result = parseWire(diInvoiceSchema, {
      ...base,
      items: [item, { ...item, quantity: null, extraTax: "n/a", rate: undefined }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      {
        path: "items[1].rate",
        message: "expected a string (a number is accepted), got nothing (the field is missing)",
      },
      { path: "items[1].quantity", message: "expected a number (a numeric string is accepted), got null" },
      { path: "items[1].extraTax", message: 'expected a number or "" (not applicable), got "n/a"' },
    ]);
  });

  it("refuses items that are not an array", () => {
    const result = parseWire(diInvoiceSchema, { ...base, items: {} });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues).toEqual([
        { path: "items", message: "expected items (a JSON array), got an object" },
      ]);
  });
});

describe("IMS", () => {
  it("parses every response in spec/data/ims.json, with the fiscal number where there is one", () => {
    const expected: Record<string, string | undefined> = {
      success_local: "9000052011142444901",
      success_kb: "11000120181112000369",
      rejected_observed: undefined,
    };
    const raw = readFileSync(new URL("../../../../spec/data/ims.json", import.meta.url), "utf8");
    // Read through parseFbrJson: the KB sample's 20-digit number does not survive JSON.parse.
    const parsedFile = parseFbrJson(raw);
    if (!parsedFile.ok) throw new Error("ims.json did not parse");
    const responses = (parsedFile.value as typeof ims).responses;
    expect(Object.keys(responses).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, body] of Object.entries(responses)) {
      const response = expectOk(parseWire(imsResponseSchema, body));
      expect(imsFiscalNumber(response), name).toBe(expected[name]);
    }
  });

  it("reads the rejection's Code as the string 102 and 'Not Available' as no number", () => {
    const response = expectOk(parseWire(imsResponseSchema, ims.responses.rejected_observed));
    expect(response.Code).toBe("102");
    expect(response.InvoiceNumber).toBe("Not Available");
    expect(imsFiscalNumber(response)).toBeUndefined();
  });

  it('reads a numeric Code 100 as the string "100"', () => {
    const response = expectOk(
      parseWire(imsResponseSchema, { InvoiceNumber: "X1", Code: 100, Response: "ok" }),
    );
    expect(response.Code).toBe("100");
    expect(imsFiscalNumber(response)).toBe("X1");
  });

  it("refuses a numeric FBRInvoiceNumber that JSON.parse already rounded", () => {
    const result = parseWire(
      imsResponseSchema,
      JSON.parse('{"FBRInvoiceNumber":11000120181112000369,"Code":"100"}'),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues[0]?.path).toBe("FBRInvoiceNumber");
      expect(result.issues[0]?.message).toMatch(/parseFbrJson/);
    }
  });

  it("treats blank, empty and any-case not-available numbers as absent, and prefers InvoiceNumber", () => {
    expect(imsFiscalNumber({ InvoiceNumber: "  ", Code: "100", Response: "", Errors: null })).toBeUndefined();
    expect(
      imsFiscalNumber({ InvoiceNumber: "NOT AVAILABLE", Code: "402", Response: "", Errors: null }),
    ).toBeUndefined();
    expect(
      imsFiscalNumber({ InvoiceNumber: "", FBRInvoiceNumber: 123, Code: "100", Response: "", Errors: null }),
    ).toBe("123");
    expect(
      imsFiscalNumber({
        InvoiceNumber: "A1",
        FBRInvoiceNumber: "B2",
        Code: "100",
        Response: "",
        Errors: null,
      }),
    ).toBe("A1");
  });

  const imsInvoice = {
    InvoiceNumber: "",
    POSID: 110014,
    USIN: "USIN0001",
    DateTime: "2025-01-15 10:20:30",
    BuyerName: null,
    TotalSaleValue: 1298,
    TotalTaxCharged: 221,
    TotalQuantity: 1,
    Discount: 380,
    FurtherTax: 0,
    TotalBillAmount: 1519,
    PaymentMode: 1,
    InvoiceType: 1,
    Items: [
      {
        ItemCode: "IT_1011",
        ItemName: "Test Item",
        PCTCode: "11001010",
        Quantity: 1,
        TaxRate: 17,
        SaleValue: 1298,
        Discount: 380,
        FurtherTax: 0,
        TaxCharged: 221,
        TotalAmount: 1519,
        InvoiceType: 1,
      },
    ],
  };

  it("parses the KB model invoice, lenient with strings and nulls", () => {
    const invoice = expectOk(
      parseWire(imsInvoiceSchema, { ...imsInvoice, POSID: "110014", USIN: 1001, PaymentMode: "2" }),
    );
    expect(invoice.POSID).toBe(110014);
    expect(invoice.USIN).toBe("1001");
    expect(invoice.PaymentMode).toBe(2);
    expect(invoice).not.toHaveProperty("BuyerName");
    expect(invoice.Items[0]?.TaxRate).toBe(17);
  });

  it("refuses a fractional PaymentMode and a missing item field", () => {
    const { TaxCharged: _dropped, ...itemWithoutTax } = imsInvoice.Items[0] as Record<string, unknown>;
    const result = parseWire(imsInvoiceSchema, { ...imsInvoice, PaymentMode: 1.5, Items: [itemWithoutTax] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => issue.path)).toEqual(["PaymentMode", "Items[0].TaxCharged"]);
    expect(result.issues[0]?.message).toBe("expected an integer, got number 1.5");
  });
});

describe("reference rows", () => {
  const schemaFor: Record<string, Parameters<typeof parseWire>[0]> = {
    transtypecode: referenceListSchema(transTypeRowSchema, "transaction types"),
    SaleTypeToRate: referenceListSchema(saleTypeRateRowSchema, "rates"),
  };

  it("parses the samples of spec/data/di-reference-api.json, odd casing and all", () => {
    for (const endpoint of referenceApi.referenceEndpoints) {
      const schema = schemaFor[endpoint.name];
      if (schema && endpoint.sample) expectOk(parseWire(schema, endpoint.sample));
    }
    const statl = referenceApi.referenceEndpoints.find((endpoint) => endpoint.name === "statl");
    for (const body of statl?.responses ?? []) expectOk(parseWire(statlResponseSchema, body));
    const regType = referenceApi.referenceEndpoints.find((endpoint) => endpoint.name === "Get_Reg_Type");
    const regTypes = (regType?.responses ?? []).map((body) =>
      expectOk(parseWire(regTypeResponseSchema, body)),
    );
    expect(regTypes.map((row) => row.REGISTRATION_TYPE)).toEqual(["unregistered", "Registered"]);
  });

  it("names the quoted key in a statl path", () => {
    const result = parseWire(statlResponseSchema, { status: "In-Active" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toBe('["status code"]');
  });
});

describe("parseFbrJson", () => {
  it("keeps 20-digit integers exact as strings and leaves small numbers alone", () => {
    const parsed = parseFbrJson(
      '{"FBRInvoiceNumber":11000120181112000369,"Code":100,"x":1.5,"s":"12345678901234567890"}',
    );
    expect(parsed).toEqual({
      ok: true,
      value: { FBRInvoiceNumber: "11000120181112000369", Code: 100, x: 1.5, s: "12345678901234567890" },
    });
  });

  it("drops trailing commas outside strings only", () => {
    expect(parseFbrJson('{"a":[1,2,],"b":"x,}",}')).toEqual({ ok: true, value: { a: [1, 2], b: "x,}" } });
  });

  it("handles escaped quotes inside strings", () => {
    expect(parseFbrJson('{"a":"say \\"hi\\", 99999999999999999999",}')).toEqual({
      ok: true,
      value: { a: 'say "hi", 99999999999999999999' },
    });
  });

  it("says so when the body is an HTML gateway page, empty, or broken", () => {
    expect(parseFbrJson("<html><body>502 Bad Gateway</body></html>")).toEqual({
      ok: false,
      issues: [{ path: "", message: "the body is an HTML or XML page (a gateway error page?), not JSON" }],
    });
    expect(parseFbrJson("  ")).toEqual({
      ok: false,
      issues: [{ path: "", message: "the body is empty, not JSON" }],
    });
    const broken = parseFbrJson('{"a":');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.issues[0]?.message).toMatch(/^the body is not valid JSON: /);
  });
});
