import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateDiInvoice } from "../validation/index.ts";
import {
  certificationCorrections,
  certificationInvoice,
  certificationNeedsRegisteredBuyer,
  ScenarioLookupError,
  scenarioById,
  scenarioPralSample,
} from "./index.ts";

const ALL_IDS = Array.from({ length: 28 }, (_, index) => `SN${String(index + 1).padStart(3, "0")}`);
const VECTORS = new URL("../../../../spec/vectors/di-certification/", import.meta.url);
/** The seller and date the committed vectors were built for. */
const VECTOR_SELLER = {
  ntnCnic: "7000007",
  businessName: "Demo Traders",
  province: "Sindh",
  address: "Karachi",
};
const VECTOR_DATE = "2026-01-15";

function vector(id: string): unknown {
  return JSON.parse(readFileSync(new URL(`${id}.json`, VECTORS), "utf8"));
}

describe("certificationInvoice", () => {
  it.each(ALL_IDS)("%s passes our validator in sandbox mode for the seller it was built for", (id) => {
    const invoice = certificationInvoice(id, {
      seller: VECTOR_SELLER,
      now: new Date("2026-03-01T06:00:00Z"),
    });
    const result = validateDiInvoice(invoice, {
      sandbox: true,
      assignedScenarios: [id],
      sellerNtn: "7000007",
      isRegisteredBuyer: (buyer) => buyer === "2046004",
      now: new Date("2026-03-01T06:00:00Z"),
    });
    expect(result.issues).toEqual([]);
    expect(invoice.scenarioId).toBe(id);
    expect(invoice.invoiceDate).toBe("2026-03-01");
    expect(invoice.sellerNTNCNIC).toBe("7000007");
    expect(invoice.items[0]?.saleType.trim()).toBe(scenarioById(id)?.saleType.trim());
    expect(invoice.buyerRegistrationType).toBe(
      certificationNeedsRegisteredBuyer(id) ? "Registered" : "Unregistered",
    );
  });

  it.each(ALL_IDS)("%s equals the committed vector in spec/vectors/di-certification", (id) => {
    expect(certificationInvoice(id, { seller: VECTOR_SELLER, date: VECTOR_DATE })).toEqual(vector(id));
  });

  it("corrects every sample our validator refuses as PRAL wrote it, and says why", () => {
    const refused = ALL_IDS.filter(
      (id) => !validateDiInvoice(scenarioPralSample(id), { sandbox: true, assignedScenarios: [id] }).valid,
    );
    expect(refused.length).toBeGreaterThan(0);
    for (const id of refused) expect(certificationCorrections(id).length, id).toBeGreaterThan(0);
    // SN003 and SN005, the samples FBR is known to refuse, are corrected too.
    expect(certificationCorrections("SN003").length).toBeGreaterThan(0);
    expect(certificationCorrections("SN005").length).toBeGreaterThan(0);
  });

  it("uses the given buyers and reference", () => {
    const registeredBuyer = { ntnCnic: "1234567", businessName: "B", province: "Punjab", address: "Lahore" };
    const invoice = certificationInvoice("sn001", {
      seller: VECTOR_SELLER,
      registeredBuyer,
      invoiceRefNo: "CERT-1",
    });
    expect(invoice.buyerNTNCNIC).toBe("1234567");
    expect(invoice.buyerProvince).toBe("Punjab");
    expect(invoice.invoiceRefNo).toBe("CERT-1");
  });

  it("refuses an unknown scenario with the valid list", () => {
    expect(() => certificationInvoice("SN099", { seller: VECTOR_SELLER })).toThrow(ScenarioLookupError);
    try {
      certificationInvoice("SN099", { seller: VECTOR_SELLER });
    } catch (error) {
      expect((error as ScenarioLookupError).validValues).toEqual(ALL_IDS);
    }
  });
});
