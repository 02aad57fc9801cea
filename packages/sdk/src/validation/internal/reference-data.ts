// The reference tables validation needs, as fast look-ups built once from the sdk's offline snapshot
// (reference/) and scenario catalogue (scenarios/), both copies of spec/data.
import {
  provinceRows,
  ratesForTransactionType,
  sroScheduleNames as scheduleList,
  sroItemSerials as serialList,
  transactionTypes,
  uomRows,
} from "../../reference/index.ts";
import { scenarioById } from "../../scenarios/index.ts";

export interface SaleTypeMatch {
  id: number;
  /** The registry string, verbatim (possibly space-padded, " Services "). */
  registry: string;
  /** The registry string trimmed: what must match the payload's saleType, case included. */
  trimmed: string;
}

const saleTypeByTrimmed = new Map<string, SaleTypeMatch>();
const saleTypeByFolded = new Map<string, SaleTypeMatch>();
for (const row of transactionTypes()) {
  const match = {
    id: row.transactioN_TYPE_ID,
    registry: row.transactioN_DESC,
    trimmed: row.transactioN_DESC.trim(),
  };
  saleTypeByTrimmed.set(match.trimmed, match);
  saleTypeByFolded.set(match.trimmed.toLowerCase(), match);
}

/**
 * The transaction type whose trimmed registry string equals `saleType` trimmed, case-sensitive: unlike
 * findTransactionType, a different case is not accepted, because integrators got 0204 for
 * "Goods at Standard Rate (default)" until they sent the registry's casing (spec §5).
 */
export function saleTypeExact(saleType: string): SaleTypeMatch | undefined {
  return saleTypeByTrimmed.get(saleType.trim());
}

/** The transaction type matching trimmed and case-insensitively (to suggest the registry spelling). */
export function saleTypeLoose(saleType: string): SaleTypeMatch | undefined {
  return saleTypeByFolded.get(saleType.trim().toLowerCase());
}

const ratesById = new Map<number, readonly string[]>();
for (const row of transactionTypes()) {
  const id = row.transactioN_TYPE_ID;
  ratesById.set(
    id,
    ratesForTransactionType(id).map((rate) => rate.ratE_DESC),
  );
}

/** SaleTypeToRate's ratE_DESC strings for a transaction type; empty when the snapshot has none. */
export function rateDescriptionsFor(transTypeId: number): readonly string[] {
  return ratesById.get(transTypeId) ?? [];
}

export const uomDescriptions: ReadonlySet<string> = new Set(uomRows().map((row) => row.description));
export const provinceNames: ReadonlySet<string> = new Set(provinceRows().map((row) => row.stateProvinceDesc));
export const sroScheduleNames: ReadonlySet<string> = new Set(scheduleList());
export const sroItemSerials: ReadonlySet<string> = new Set(serialList());

export interface ScenarioSaleType {
  id: string;
  saleType: string;
}

/** The scenario's sale type as PRAL's sample sends it; undefined for an id outside SN001-SN028. */
export function scenarioSaleType(scenarioId: string): ScenarioSaleType | undefined {
  // Exact id only: the sandbox answers 0203 for anything but the IRIS spelling ("SN001").
  if (!/^SN\d{3}$/.test(scenarioId)) return undefined;
  const info = scenarioById(scenarioId);
  return info === undefined ? undefined : { id: info.id, saleType: info.saleType };
}
