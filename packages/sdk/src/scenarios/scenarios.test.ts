import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findTransactionType } from "../reference/snapshot.ts";
import { diInvoiceSchema } from "../wire/di.ts";
import { parseWire } from "../wire/parse.ts";
import {
  businessActivities,
  ScenarioLookupError,
  scenarioById,
  scenarioCatalogue,
  scenarioPralSample,
  scenarioSamplePayload,
  scenarioSectors,
  scenariosForActivities,
  scenariosForActivity,
} from "./index.ts";

const ALL_IDS = Array.from({ length: 28 }, (_, index) => `SN${String(index + 1).padStart(3, "0")}`);
const VECTOR_DIRECTORY = new URL("../../../../spec/vectors/di/", import.meta.url);

describe("scenario catalogue", () => {
  it("holds SN001..SN028 in order", () => {
    expect(scenarioCatalogue.map((scenario) => scenario.id)).toEqual(ALL_IDS);
  });

  it("describes a scenario with its wire sale type, id, rate and basis", () => {
    expect(scenarioById("SN022")).toEqual({
      id: "SN022",
      description: "Sale of Potassium Chlorate",
      title: "Sale of Potassium Chlorate",
      specSaleTypeColumn: "Potassium Chlorate",
      saleType: "Potassium Chlorate",
      transTypeId: 115,
      sampleRate: "18% along with rupees 60 per kilogram",
      taxBasis: "value x 18% + quantity(KG) x Rs.60",
      specialFields: expect.any(Array),
      retailerOnly: false,
      buyerRegistered: false,
      sampleExtraHeaderKeys: [],
    });
  });

  it("finds ids after trimming, ignoring case, and answers undefined for unknown ones", () => {
    expect(scenarioById(" sn016 ")?.saleType).toBe("Processing/Conversion of Goods");
    expect(scenarioById("SN029")).toBeUndefined();
  });

  it("marks SN026-SN028 retailer-only and the registered-buyer samples", () => {
    expect(
      scenarioCatalogue.filter((scenario) => scenario.retailerOnly).map((scenario) => scenario.id),
    ).toEqual(["SN026", "SN027", "SN028"]);
    expect(
      scenarioCatalogue.filter((scenario) => scenario.buyerRegistered).map((scenario) => scenario.id),
    ).toEqual(["SN001", "SN006", "SN009", "SN026", "SN027", "SN028"]);
  });

  it("keeps the §9 spelling apart from the wire string", () => {
    expect(scenarioById("SN009")?.specSaleTypeColumn).toBe("Cotton Ginners");
    expect(scenarioById("SN009")?.saleType).toBe("Cotton ginners");
  });

  it.each(ALL_IDS)("%s's sale type is in the registry under its transTypeId", (id) => {
    const scenario = scenarioById(id);
    expect(findTransactionType(scenario?.saleType ?? "")?.transactioN_TYPE_ID).toBe(scenario?.transTypeId);
  });

  it("records PRAL's undocumented header keys", () => {
    expect(scenarioById("SN011")?.sampleExtraHeaderKeys).toEqual(["dataSource"]);
    expect(scenarioById("SN015")?.sampleExtraHeaderKeys).toEqual([
      "additional1",
      "additional2",
      "additional3",
    ]);
  });
});

describe("PRAL sample payloads", () => {
  it.each(ALL_IDS)("%s parses as a DiInvoice and keeps PRAL's item values", (id) => {
    const raw = scenarioPralSample(id);
    const parsed = parseWire(diInvoiceSchema, raw);
    expect(parsed.ok).toBe(true);
    const payload = scenarioSamplePayload(id);
    expect(payload.scenarioId).toBe(id);
    expect(payload.invoiceType).toBe("Sale Invoice");
    expect(payload.items).toHaveLength(1);
    const rawItem = (raw.items as Record<string, unknown>[])[0] as Record<string, unknown>;
    const item = payload.items[0] as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(rawItem)) {
      // Numeric strings (SN003, SN004, SN011) become numbers; everything else is untouched.
      expect(item[key], `${id} ${key}`).toEqual(
        typeof value === "string" && typeof item[key] === "number" ? Number(value) : value,
      );
    }
    expect(payload.items[0]?.saleType).toBe(scenarioById(id)?.saleType);
    expect(payload.items[0]?.rate).toBe(scenarioById(id)?.sampleRate);
  });

  it("keeps PRAL's quirks: strings for numbers in the raw sample, omitted buyerRegistrationType, extra keys", () => {
    const sn003 = scenarioPralSample("SN003");
    expect((sn003.items as Record<string, unknown>[])[0]?.valueSalesExcludingST).toBe("205000.00");
    expect(scenarioSamplePayload("SN003").items[0]?.valueSalesExcludingST).toBe(205000);
    expect(scenarioPralSample("SN004")).not.toHaveProperty("buyerRegistrationType");
    expect(scenarioSamplePayload("SN011")).not.toHaveProperty("buyerRegistrationType");
    expect(scenarioPralSample("SN011").dataSource).toBe("");
    expect(scenarioSamplePayload("SN011")).not.toHaveProperty("dataSource");
    // Inconsistent on purpose, as PRAL published them.
    expect(scenarioSamplePayload("SN008").items[0]?.totalValues).toBe(145);
    expect(scenarioSamplePayload("SN028").items[0]?.salesTaxApplicable).toBe(0);
  });

  it("fills the header from PRAL's document", () => {
    expect(scenarioSamplePayload("SN005")).toMatchObject({
      invoiceDate: "2025-06-30",
      sellerNTNCNIC: "8885801",
      sellerBusinessName: "B2",
      sellerProvince: "Sindh",
      sellerAddress: "Karachi",
      buyerNTNCNIC: "1000000000000",
      buyerBusinessName: "FERTILIZER MANUFAC IRS NEW",
      buyerRegistrationType: "Unregistered",
      invoiceRefNo: "",
    });
  });

  it("hands out a fresh copy each time", () => {
    const first = scenarioSamplePayload("SN001");
    (first.items[0] as { quantity: number }).quantity = 1;
    expect(scenarioSamplePayload("SN001").items[0]?.quantity).toBe(400);
    const rawItems = scenarioPralSample("SN001").items as Record<string, unknown>[];
    rawItems.splice(0, 1, { rate: "x" });
    expect(scenarioPralSample("SN001").items).toEqual(scenarioSamplePayload("SN001").items);
  });

  it("throws a clear error for an unknown id", () => {
    expect(() => scenarioSamplePayload("SN000")).toThrow(
      'Unknown scenario id "SN000": expected SN001 to SN028',
    );
    expect(() => scenarioSamplePayload("SN000")).toThrow(ScenarioLookupError);
  });
});

describe("spec/vectors/di", () => {
  it("holds exactly SN001.json ... SN028.json", () => {
    const jsonFiles = readdirSync(VECTOR_DIRECTORY).filter((name) => name.endsWith(".json"));
    expect(jsonFiles.sort()).toEqual(ALL_IDS.map((id) => `${id}.json`));
  });

  it.each(ALL_IDS)(
    "%s.json equals scenarioSamplePayload (regenerate with internal/write-vectors.ts)",
    (id) => {
      const text = readFileSync(new URL(`${id}.json`, VECTOR_DIRECTORY), "utf8");
      expect(JSON.parse(text)).toEqual(scenarioSamplePayload(id));
      expect(text).toBe(`${JSON.stringify(scenarioSamplePayload(id), null, 2)}\n`);
    },
  );
});

describe("business activity x sector matrix", () => {
  it("lists the 8 activities and 13 sectors of §10", () => {
    expect(businessActivities()).toEqual([
      "Manufacturer",
      "Importer",
      "Distributor",
      "Wholesaler",
      "Exporter",
      "Retailer",
      "Service Provider",
      "Other",
    ]);
    expect(scenarioSectors()).toHaveLength(13);
    expect(scenarioSectors()[0]).toBe("All Other Sectors");
    expect(scenarioSectors()).toContain("Wholesale / Retails");
  });

  it("answers the spec's row for an activity and sector", () => {
    expect(scenariosForActivity("Manufacturer", "Steel")).toEqual(["SN003", "SN004", "SN011"]);
    expect(scenariosForActivity("Manufacturer", "All Other Sectors")).toEqual([
      "SN001",
      "SN002",
      "SN005",
      "SN006",
      "SN007",
      "SN015",
      "SN016",
      "SN017",
      "SN021",
      "SN022",
      "SN024",
    ]);
  });

  it("keeps the spec's quirk: Manufacturer x Pharmaceuticals lacks SN025, other activities have it", () => {
    expect(scenariosForActivity("Manufacturer", "Pharmaceuticals")).not.toContain("SN025");
    expect(scenariosForActivity("Importer", "Pharmaceuticals")).toContain("SN025");
  });

  it("drops the printed duplicate SN008 and matches names loosely", () => {
    const ids = scenariosForActivity("  distributor ", "fmcg");
    expect(ids.filter((id) => id === "SN008")).toHaveLength(1);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("every cell exists and names only catalogue scenarios", () => {
    for (const activity of businessActivities()) {
      for (const sector of scenarioSectors()) {
        const ids = scenariosForActivity(activity, sector);
        expect(ids.length, `${activity} x ${sector}`).toBeGreaterThan(0);
        for (const id of ids) expect(scenarioById(id), id).toBeDefined();
      }
    }
  });

  it("unions several activities in first-seen order", () => {
    expect(scenariosForActivities(["Manufacturer", "Retailer"], "Steel")).toEqual([
      ...new Set([
        ...scenariosForActivity("Manufacturer", "Steel"),
        ...scenariosForActivity("Retailer", "Steel"),
      ]),
    ]);
  });

  it("refuses an unknown activity or sector, listing the valid names", () => {
    expect(() => scenariosForActivity("Baker", "Steel")).toThrow(
      'Unknown business activity "Baker". Valid activities: Manufacturer, Importer, Distributor, Wholesaler, Exporter, Retailer, Service Provider, Other',
    );
    try {
      scenariosForActivity("Retailer", "Bakery");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioLookupError);
      expect((error as ScenarioLookupError).code).toBe("unknown_sector");
      expect((error as ScenarioLookupError).validValues).toEqual(scenarioSectors());
      expect((error as Error).message).toMatch(
        /^Unknown sector "Bakery"\. Valid sectors: All Other Sectors, Steel, /,
      );
    }
  });
});
