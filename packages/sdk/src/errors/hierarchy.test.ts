// One error hierarchy (STYLE.md principle 1): the offline areas' errors are RaseedErrors too, so one
// `instanceof RaseedError` catches every failure the sdk throws and `toJSON` is always safe to log.
import { describe, expect, it } from "vitest";
import { buildDiInvoice } from "../model/di.ts";
import { InvalidHsCodeError, InvoiceDraftError } from "../model/errors.ts";
import { pctCodeFromHsCode } from "../model/ims.ts";
import { ReferenceApiError, ReferenceClient } from "../reference/client.ts";
import { scenarioSamplePayload } from "../scenarios/catalogue.ts";
import { ScenarioLookupError } from "../scenarios/errors.ts";
import { roundMoney, TaxAmountError } from "../tax/decimal.ts";
import { RaseedError } from "./classes.ts";

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected the action to throw");
}

describe("every sdk error extends RaseedError", () => {
  it("keeps the tax error's code and field", () => {
    const error = thrownBy(() => roundMoney("ten"));
    expect(error).toBeInstanceOf(TaxAmountError);
    expect(error).toBeInstanceOf(RaseedError);
    expect((error as TaxAmountError).code).toBe("tax_amount");
    expect((error as TaxAmountError).name).toBe("TaxAmountError");
    expect((error as TaxAmountError).toJSON()).toMatchObject({ code: "tax_amount", name: "TaxAmountError" });
  });

  it("keeps the HS-code error's code and hsCode", () => {
    const error = thrownBy(() => pctCodeFromHsCode("12.34"));
    expect(error).toBeInstanceOf(InvalidHsCodeError);
    expect(error).toBeInstanceOf(RaseedError);
    expect((error as InvalidHsCodeError).code).toBe("invalid_hs_code");
    expect((error as InvalidHsCodeError).hsCode).toBe("12.34");
  });

  it("keeps the draft error's toJSON shape and links its FBR code's row", () => {
    const error = thrownBy(() => buildDiInvoice({} as never));
    expect(error).toBeInstanceOf(InvoiceDraftError);
    expect(error).toBeInstanceOf(RaseedError);
    const draftError = error as InvoiceDraftError;
    expect(Object.keys(draftError.toJSON()).sort()).toEqual(
      ["code", "message", "name", "path", ...(draftError.fbrCode === undefined ? [] : ["fbrCode"])].sort(),
    );
    expect(new InvoiceDraftError("lines[0].rate", "exempt lines say Exempt", "0046").docsUrl).toBe(
      "docs/errors.md#0046",
    );
  });

  it("keeps the scenario lookup error's code and valid values", () => {
    const error = thrownBy(() => scenarioSamplePayload("SN000"));
    expect(error).toBeInstanceOf(ScenarioLookupError);
    expect(error).toBeInstanceOf(RaseedError);
    expect((error as ScenarioLookupError).code).toBe("unknown_scenario");
    expect((error as ScenarioLookupError).validValues).toContain("SN001");
  });

  it("keeps the reference error's code, endpoint and status, without the token", async () => {
    const client = new ReferenceClient({
      token: "secret-token-value",
      baseUrl: "http://127.0.0.1:9",
      offlineSnapshot: false,
      fetch: async () => new Response("no", { status: 500 }),
    });
    const error = await client.provinces().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ReferenceApiError);
    expect(error).toBeInstanceOf(RaseedError);
    const referenceError = error as ReferenceApiError;
    expect(referenceError.code).toBe("reference_http_error");
    expect(referenceError.status).toBe(500);
    expect(referenceError.endpoint).toContain("provinces");
    expect(JSON.stringify(referenceError)).not.toContain("secret-token-value");
  });
});
