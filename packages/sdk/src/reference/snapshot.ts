// The offline reference snapshot: FBR tables captured in spec/data and copied byte for byte into
// packages/sdk/data (a test keeps the copies identical). Captures, not live truth: rate lists in
// particular vary by date and province (spec/data/di-sale-type-rates.json _notes).

import docTypesFile from "../../data/di-doc-types.json" with { type: "json" };
import provincesFile from "../../data/di-provinces.json" with { type: "json" };
import saleTypeRatesFile from "../../data/di-sale-type-rates.json" with { type: "json" };
import transactionTypesFile from "../../data/di-transaction-types.json" with { type: "json" };
import uomFile from "../../data/di-uom.json" with { type: "json" };
import annexLists from "../../data/fbr-annex-template-reference-lists.json" with { type: "json" };
import type {
  DocTypeRow,
  ProvinceRow,
  SaleTypeRateRow,
  TransTypeRow,
  UomRow,
} from "../wire/reference-rows.ts";

function frozenRows<Row extends object>(rows: readonly Row[]): readonly Readonly<Row>[] {
  return Object.freeze(rows.map((row) => Object.freeze({ ...row })));
}

// The capture carries helper keys (trimmed, scenarios, inFbrAnnexTemplate); the API row has only these two.
const TRANSACTION_TYPES: readonly TransTypeRow[] = frozenRows(
  transactionTypesFile.transactionTypes.map((row) => ({
    transactioN_TYPE_ID: row.transactioN_TYPE_ID,
    transactioN_DESC: row.transactioN_DESC,
  })),
);

/** Trimmed, lower-cased registry string → row. */
const TRANSACTION_TYPE_BY_KEY = new Map(
  TRANSACTION_TYPES.map((row) => [saleTypeKey(row.transactioN_DESC), row] as const),
);

const RATES_BY_TRANSACTION_TYPE = new Map<number, readonly SaleTypeRateRow[]>(
  saleTypeRatesFile.saleTypeToRate.map((entry) => [
    entry.transTypeId,
    frozenRows(
      entry.rates.map((rate) => ({
        ratE_ID: rate.ratE_ID,
        ratE_DESC: rate.ratE_DESC,
        ratE_VALUE: rate.ratE_VALUE,
      })),
    ),
  ]),
);

const UOM_ROWS: readonly UomRow[] = frozenRows(
  uomFile.uom.map((row) => ({ uoM_ID: row.uoM_ID, description: row.description })),
);
const PROVINCE_ROWS: readonly ProvinceRow[] = frozenRows(
  provincesFile.provinces.map((row) => ({
    stateProvinceCode: row.stateProvinceCode,
    stateProvinceDesc: row.stateProvinceDesc,
  })),
);
const DOC_TYPE_ROWS: readonly DocTypeRow[] = frozenRows(
  docTypesFile.docTypes.map((row) => ({ docTypeId: row.docTypeId, docDescription: row.docDescription })),
);
const DEBIT_NOTE_REASONS: readonly string[] = Object.freeze([...annexLists.reasons]);
const SRO_SCHEDULE_NAMES: readonly string[] = Object.freeze([...annexLists.sroScheduleNos]);
const SRO_ITEM_SERIALS: readonly string[] = Object.freeze([...annexLists.itemSrNos]);

function saleTypeKey(saleType: string): string {
  return saleType.trim().toLowerCase();
}

/**
 * The 26 `/pdi/v1/transtypecode` rows, registry strings verbatim: ids 23, 22 and 18 are space-padded
 * (" 3rd Schedule Goods ", " Services (FED in ST Mode) ", " Services "), as FBR returns them.
 */
export function transactionTypes(): readonly TransTypeRow[] {
  return TRANSACTION_TYPES;
}

/**
 * The transaction type whose description matches `saleType` after trimming, ignoring case
 * ("services" finds " Services "). Send the registry string FBR gave, not the caller's spelling:
 * integrators got 0204 for near-miss spellings (FBR-SPEC §5).
 */
export function findTransactionType(saleType: string): TransTypeRow | undefined {
  return TRANSACTION_TYPE_BY_KEY.get(saleTypeKey(saleType));
}

/**
 * The captured SaleTypeToRate list for a transaction type id; [] when the capture has none
 * (178 CNG Sales and 181 Toll Manufacturing came back empty) or the id is unknown.
 */
export function ratesForTransactionType(transTypeId: number): readonly SaleTypeRateRow[] {
  return RATES_BY_TRANSACTION_TYPE.get(transTypeId) ?? [];
}

/** The captured rate list, or undefined when the capture does not cover this id (used for offline fallback). */
export function snapshotRatesFor(transTypeId: number): readonly SaleTypeRateRow[] | undefined {
  return RATES_BY_TRANSACTION_TYPE.get(transTypeId);
}

/** The 44 captured `/pdi/v1/uom` rows; ids repeat across descriptions, and items[].uoM carries the description. */
export function uomRows(): readonly UomRow[] {
  return UOM_ROWS;
}

/** The 7 `/pdi/v1/provinces` rows (upper case; codes 1 and 3 do not exist). */
export function provinceRows(): readonly ProvinceRow[] {
  return PROVINCE_ROWS;
}

/** `/pdi/v1/doctypecode`: 4 "Sale Invoice" and 9 "Debit Note" only. */
export function docTypeRows(): readonly DocTypeRow[] {
  return DOC_TYPE_ROWS;
}

/** Debit-note reasons from FBR's IRIS sales-annex template ("Others" needs reasonRemarks, 0028). */
export function debitNoteReasons(): readonly string[] {
  return DEBIT_NOTE_REASONS;
}

/** The 95 SRO / schedule strings of FBR's IRIS sales-annex template (values for items[].sroScheduleNo). */
export function sroScheduleNames(): readonly string[] {
  return SRO_SCHEDULE_NAMES;
}

/** The 722 item serials of FBR's IRIS sales-annex template (values for items[].sroItemSerialNo). */
export function sroItemSerials(): readonly string[] {
  return SRO_ITEM_SERIALS;
}
