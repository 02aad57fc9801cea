// FBR reference data: the offline snapshot (copied from spec/data) and a cached client for the live APIs.

export {
  type BuyerRegistrationCheck,
  checkBuyerRegistration,
  normaliseBuyerId,
} from "./buyer-check.ts";
export type {
  ReferenceClientOptions,
  ReferenceErrorCode,
  SnapshotFallbackEvent,
} from "./client.ts";
export {
  FBR_REFERENCE_BASE_URL,
  formatFbrDayMonthYear,
  formatFbrIsoDate,
  REFERENCE_CACHE_TTL_MS,
  ReferenceApiError,
  ReferenceClient,
} from "./client.ts";
export {
  debitNoteReasons,
  docTypeRows,
  findTransactionType,
  provinceRows,
  ratesForTransactionType,
  sroItemSerials,
  sroScheduleNames,
  transactionTypes,
  uomRows,
} from "./snapshot.ts";
