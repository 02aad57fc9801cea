// The reference tables validation needs, as fast look-ups built once.
// ADAPTER: reads the spec/data snapshot directly because the sdk's reference/ and scenarios/ areas (WIRE
// engineer) were not there yet when validation was written; the tables and their meaning are the same.
import { readFileSync } from "node:fs";

interface TransactionTypeRow {
  transactioN_TYPE_ID: number;
  transactioN_DESC: string;
}
interface RateRow {
  ratE_ID: number;
  ratE_DESC: string;
  ratE_VALUE: number;
}
interface ScenarioRow {
  scenarioId: string;
  saleTypeOnWire: string;
  transTypeId: number;
}

function specData<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../../../spec/data/${name}`, import.meta.url), "utf8")) as T;
}

const transactionTypes = specData<{ transactionTypes: TransactionTypeRow[] }>(
  "di-transaction-types.json",
).transactionTypes;
const saleTypeRates = specData<{ saleTypeToRate: { transTypeId: number; rates: RateRow[] }[] }>(
  "di-sale-type-rates.json",
).saleTypeToRate;
const uomRows = specData<{ uom: { uoM_ID: number; description: string }[] }>("di-uom.json").uom;
const provinceRows = specData<{ provinces: { stateProvinceDesc: string }[] }>("di-provinces.json").provinces;
const templateLists = specData<{ sroScheduleNos: string[]; itemSrNos: string[] }>(
  "fbr-annex-template-reference-lists.json",
);
const scenarioRows = specData<{ scenarios: ScenarioRow[] }>("di-scenarios.json").scenarios;

export interface SaleTypeMatch {
  id: number;
  /** The registry string, verbatim (possibly space-padded, " Services "). */
  registry: string;
  /** The registry string trimmed: what must match the payload's saleType, case included. */
  trimmed: string;
}

const saleTypeByTrimmed = new Map<string, SaleTypeMatch>();
const saleTypeByFolded = new Map<string, SaleTypeMatch>();
for (const row of transactionTypes) {
  const match = {
    id: row.transactioN_TYPE_ID,
    registry: row.transactioN_DESC,
    trimmed: row.transactioN_DESC.trim(),
  };
  saleTypeByTrimmed.set(match.trimmed, match);
  saleTypeByFolded.set(match.trimmed.toLowerCase(), match);
}

/** The transaction type whose trimmed registry string equals `saleType` trimmed (case-sensitive). */
export function saleTypeExact(saleType: string): SaleTypeMatch | undefined {
  return saleTypeByTrimmed.get(saleType.trim());
}

/** The transaction type matching trimmed and case-insensitively (to suggest the registry spelling). */
export function saleTypeLoose(saleType: string): SaleTypeMatch | undefined {
  return saleTypeByFolded.get(saleType.trim().toLowerCase());
}

const ratesById = new Map<number, readonly string[]>();
for (const row of saleTypeRates)
  ratesById.set(
    row.transTypeId,
    row.rates.map((rate) => rate.ratE_DESC),
  );

/** SaleTypeToRate's ratE_DESC strings for a transaction type; empty when the snapshot has none. */
export function rateDescriptionsFor(transTypeId: number): readonly string[] {
  return ratesById.get(transTypeId) ?? [];
}

export const uomDescriptions: ReadonlySet<string> = new Set(uomRows.map((row) => row.description));
export const provinceNames: ReadonlySet<string> = new Set(provinceRows.map((row) => row.stateProvinceDesc));
export const sroScheduleNames: ReadonlySet<string> = new Set(templateLists.sroScheduleNos);
export const sroItemSerials: ReadonlySet<string> = new Set(templateLists.itemSrNos);

export interface ScenarioSaleType {
  id: string;
  saleType: string;
}
const scenarioById = new Map<string, ScenarioSaleType>(
  scenarioRows.map((row) => [row.scenarioId, { id: row.scenarioId, saleType: row.saleTypeOnWire }]),
);

export function scenarioSaleType(scenarioId: string): ScenarioSaleType | undefined {
  return scenarioById.get(scenarioId);
}
