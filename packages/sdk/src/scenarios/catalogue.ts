// Sandbox scenarios SN001-SN028 (spec v1.12 §9, PRAL's v1.11 scenario document), from
// packages/sdk/data/di-scenarios.json, a byte-identical copy of spec/data.
import scenariosFile from "../../data/di-scenarios.json" with { type: "json" };
import type { DiInvoice } from "../wire/di.ts";
import { diInvoiceSchema } from "../wire/di.ts";
import { formatWireIssues, parseWire } from "../wire/parse.ts";
import { ScenarioLookupError } from "./errors.ts";
import { PRAL_SAMPLE_COMMON_HEADER, PRAL_SAMPLE_DATE_AND_SELLER } from "./sample-headers.ts";

export interface ScenarioInfo {
  /** "SN001".."SN028". */
  id: string;
  /** The v1.12 §9 description. */
  description: string;
  /** The section title in PRAL's v1.11 scenario document. */
  title: string;
  /** How the v1.12 §9 table spells the sale type; NOT what goes on the wire (0204). */
  specSaleTypeColumn: string;
  /** The saleType string PRAL's sample sends (the registry string, trimmed where the registry pads it). */
  saleType: string;
  /** `transactioN_TYPE_ID` of the sale type. */
  transTypeId: number;
  /** The rate of PRAL's sample ("18%", "Rs.3", "Exempt" ...). */
  sampleRate: string;
  /** How the sales tax is computed, in words ("percentage of valueSalesExcludingST", "per unit: quantity x Rs.N"). */
  taxBasis: string;
  /** Fields this scenario needs or sends unusually, with the reason. */
  specialFields: readonly string[];
  /** SN026-SN028 apply only to sellers registered as retailers (spec §9 note). */
  retailerOnly: boolean;
  /** PRAL's sample buyer is "Registered". False also where the sample omits buyerRegistrationType (SN004, SN011). */
  buyerRegistered: boolean;
  /** Header keys PRAL's sample sends beyond the v1.12 schema (SN011 dataSource, SN015 additional1..3); tolerated by FBR, dropped by diInvoiceSchema. */
  sampleExtraHeaderKeys: readonly string[];
}

type ScenarioRecord = (typeof scenariosFile.scenarios)[number];

const HEADER_KEYS_IN_DATA = new Set([
  "sellerNTNCNIC",
  "buyerNTNCNIC",
  "buyerRegistrationType",
  "invoiceRefNo",
]);

function extraHeaderKeys(record: ScenarioRecord): string[] {
  return Object.keys(record.sampleHeader).filter((key) => !HEADER_KEYS_IN_DATA.has(key));
}

export const scenarioCatalogue: readonly ScenarioInfo[] = Object.freeze(
  scenariosFile.scenarios.map((record) =>
    Object.freeze({
      id: record.scenarioId,
      description: record.specDescription_v1_12,
      title: record.title_v1_11_doc,
      specSaleTypeColumn: record.specSaleTypeColumn_v1_12,
      saleType: record.saleTypeOnWire,
      transTypeId: record.transTypeId,
      sampleRate: record.sampleRate,
      taxBasis: record.taxBasis,
      specialFields: Object.freeze([...record.specialFields]),
      retailerOnly: record.retailerOnly,
      buyerRegistered: record.buyerRegistrationTypeInSample === "Registered",
      sampleExtraHeaderKeys: Object.freeze(extraHeaderKeys(record)),
    }),
  ),
);

const RECORD_BY_ID = new Map(scenariosFile.scenarios.map((record) => [record.scenarioId, record] as const));
const INFO_BY_ID = new Map(scenarioCatalogue.map((info) => [info.id, info] as const));
const SCENARIO_IDS = scenarioCatalogue.map((info) => info.id);

function normaliseScenarioId(id: string): string {
  return id.trim().toUpperCase();
}

/** The scenario with this id ("SN005", " sn005 " too), or undefined. */
export function scenarioById(id: string): ScenarioInfo | undefined {
  return INFO_BY_ID.get(normaliseScenarioId(id));
}

function recordOrThrow(id: string): ScenarioRecord {
  const record = RECORD_BY_ID.get(normaliseScenarioId(id));
  if (!record) {
    throw new ScenarioLookupError(
      "unknown_scenario",
      `Unknown scenario id "${id}": expected SN001 to SN028`,
      SCENARIO_IDS,
    );
  }
  return record;
}

/**
 * PRAL's sample payload exactly as published, as plain JSON: numbers sent as strings in SN003, SN004 and
 * SN011 stay strings, buyerRegistrationType is absent where the sample omits it (SN004, SN011), and the
 * undocumented extra header keys are kept. Use it to test lenient readers; send scenarioSamplePayload.
 */
export function scenarioPralSample(id: string): Record<string, unknown> {
  const record = recordOrThrow(id);
  const dateAndSeller = PRAL_SAMPLE_DATE_AND_SELLER[record.scenarioId];
  if (!dateAndSeller) throw new Error(`sample-headers.ts has no entry for ${record.scenarioId}`);
  const header = record.sampleHeader as Record<string, unknown>;
  const sample: Record<string, unknown> = {
    invoiceType: PRAL_SAMPLE_COMMON_HEADER.invoiceType,
    invoiceDate: dateAndSeller[0],
    sellerNTNCNIC: header.sellerNTNCNIC,
    sellerBusinessName: dateAndSeller[1],
    sellerProvince: PRAL_SAMPLE_COMMON_HEADER.sellerProvince,
    sellerAddress: PRAL_SAMPLE_COMMON_HEADER.sellerAddress,
    buyerNTNCNIC: header.buyerNTNCNIC,
    buyerBusinessName: PRAL_SAMPLE_COMMON_HEADER.buyerBusinessName,
    buyerProvince: PRAL_SAMPLE_COMMON_HEADER.buyerProvince,
    buyerAddress: PRAL_SAMPLE_COMMON_HEADER.buyerAddress,
  };
  // di-scenarios.json writes the omitted key as null; the sample itself leaves it out.
  if (header.buyerRegistrationType !== null) sample.buyerRegistrationType = header.buyerRegistrationType;
  sample.invoiceRefNo = header.invoiceRefNo;
  sample.scenarioId = record.scenarioId;
  for (const key of extraHeaderKeys(record)) sample[key] = header[key];
  sample.items = [structuredClone(record.sampleItem)];
  return sample;
}

/**
 * PRAL's sample for a scenario as a typed DiInvoice (scenarioId included), values kept as PRAL wrote
 * them even where they are inconsistent (SN008 totalValues 145, SN028 1% with salesTaxApplicable 0).
 * Numeric strings become numbers and the extra header keys are dropped, as diInvoiceSchema reads them.
 * The same payloads are in spec/vectors/di/SN001.json ... SN028.json. Throws ScenarioLookupError for an unknown id.
 */
export function scenarioSamplePayload(id: string): DiInvoice {
  const parsed = parseWire(diInvoiceSchema, scenarioPralSample(id));
  if (!parsed.ok) {
    // Cannot happen while the data and the schema agree; a test reads all 28.
    throw new Error(`PRAL sample ${id} does not parse as a DiInvoice:\n${formatWireIssues(parsed.issues)}`);
  }
  return parsed.value;
}
