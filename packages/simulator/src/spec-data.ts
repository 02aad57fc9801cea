// Small adapter over the repo's FBR data tables (spec/data, copied from the compiled FBR spec). The sdk's
// reference/ and scenarios/ areas serve the same data; the simulator reads the tables directly only for
// the pieces the sdk does not expose (HS→UoM pairs and SRO fixtures derived from PRAL's samples).
import { readFileSync } from "node:fs";

const specDataDir = new URL("../../../spec/data/", import.meta.url);

function readSpecJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, specDataDir), "utf8")) as T;
}

export type SampleValue = string | number | null;

export interface SpecScenario {
  scenarioId: string;
  specDescription_v1_12: string;
  saleTypeOnWire: string;
  transTypeId: number;
  sampleRate: string;
  buyerRegistrationTypeInSample: string | null;
  sampleHeader: Record<string, SampleValue>;
  sampleItem: Record<string, SampleValue>;
  retailerOnly: boolean;
}

export interface SpecTransactionType {
  transactioN_TYPE_ID: number;
  transactioN_DESC: string;
}
export interface SpecRate {
  ratE_ID: number;
  ratE_DESC: string;
  ratE_VALUE: number;
}
export interface SpecUom {
  uoM_ID: number;
  description: string;
}
export interface SpecProvince {
  stateProvinceCode: number;
  stateProvinceDesc: string;
}
export interface SpecDocType {
  docTypeId: number;
  docDescription: string;
}
interface SpecReferenceEndpoint {
  url: string;
  sample?: Record<string, SampleValue>[];
}

let cache: SpecTables | undefined;

export interface SpecTables {
  scenarios: SpecScenario[];
  transactionTypes: SpecTransactionType[];
  ratesByTransType: Map<number, SpecRate[]>;
  uom: SpecUom[];
  provinces: SpecProvince[];
  docTypes: SpecDocType[];
  itemSerialsFromTemplate: string[];
  referenceSamples: Map<string, Record<string, SampleValue>[]>;
}

export function specTables(): SpecTables {
  if (cache) return cache;
  const scenarios = readSpecJson<{ scenarios: SpecScenario[] }>("di-scenarios.json").scenarios;
  const transactionTypes = readSpecJson<{ transactionTypes: SpecTransactionType[] }>(
    "di-transaction-types.json",
  ).transactionTypes.map((row) => ({
    transactioN_TYPE_ID: row.transactioN_TYPE_ID,
    transactioN_DESC: row.transactioN_DESC,
  }));
  const rates = readSpecJson<{ saleTypeToRate: { transTypeId: number; rates: SpecRate[] }[] }>(
    "di-sale-type-rates.json",
  ).saleTypeToRate;
  const uom = readSpecJson<{ uom: SpecUom[] }>("di-uom.json").uom;
  const provinces = readSpecJson<{ provinces: SpecProvince[] }>("di-provinces.json").provinces;
  const docTypes = readSpecJson<{ docTypes: SpecDocType[] }>("di-doc-types.json").docTypes;
  const template = readSpecJson<{ itemSrNos: string[] }>("fbr-annex-template-reference-lists.json");
  const reference = readSpecJson<{ referenceEndpoints: SpecReferenceEndpoint[] }>("di-reference-api.json");
  cache = {
    scenarios,
    transactionTypes,
    ratesByTransType: new Map(rates.map((row) => [row.transTypeId, row.rates])),
    uom,
    provinces,
    docTypes,
    itemSerialsFromTemplate: template.itemSrNos,
    referenceSamples: new Map(reference.referenceEndpoints.map((e) => [e.url, e.sample ?? []])),
  };
  return cache;
}
