// The header fields of PRAL's sample payloads that spec/data/di-scenarios.json does not carry
// (it keeps only seller/buyer ids, registration type, invoiceRefNo and the undocumented extra keys).
// Source: PRAL "DI Scenarios Description for Sandbox Testing" v1.11, one JSON sample per scenario.
// Every sample uses invoiceType "Sale Invoice", seller and buyer in Sindh / Karachi, and the buyer
// name "FERTILIZER MANUFAC IRS NEW"; the date and the seller's name vary.

export const PRAL_SAMPLE_COMMON_HEADER = {
  invoiceType: "Sale Invoice",
  sellerProvince: "Sindh",
  sellerAddress: "Karachi",
  buyerBusinessName: "FERTILIZER MANUFAC IRS NEW",
  buyerProvince: "Sindh",
  buyerAddress: "Karachi",
} as const;

/** Per scenario: [invoiceDate, sellerBusinessName] exactly as PRAL's sample has them. */
export const PRAL_SAMPLE_DATE_AND_SELLER: Readonly<Record<string, readonly [string, string]>> = {
  SN001: ["2025-05-10", "Company 8"],
  SN002: ["2025-05-10", "Company 8"],
  SN003: ["2025-04-21", "Company 7"],
  SN004: ["2025-05-26", "Company 8"],
  SN005: ["2025-06-30", "B2"],
  SN006: ["2025-07-01", "Company 8"],
  SN007: ["2025-04-21", "Company 7"],
  SN008: ["2025-04-21", "Company 7"],
  SN009: ["2025-05-15", "Company 8"],
  SN010: ["2025-05-15", "Company 8"],
  SN011: ["2025-05-26", "Company 8"],
  SN012: ["2025-05-15", "Company 8"],
  SN013: ["2025-05-15", "Company 8"],
  SN014: ["2025-05-15", "Company 8"],
  SN015: ["2025-05-15", "Company 8"],
  SN016: ["2025-05-16", "Company 8"],
  SN017: ["2025-05-10", "Company 8"],
  SN018: ["2025-06-14", "Company 8"],
  SN019: ["2025-04-21", "Company 8"],
  SN020: ["2025-04-21", "Company 8"],
  SN021: ["2025-04-21", "Company 8"],
  SN022: ["2025-04-21", "Company 8"],
  SN023: ["2025-04-21", "Company 8"],
  SN024: ["2025-04-21", "Company 8"],
  SN025: ["2025-05-16", "Company 8"],
  SN026: ["2025-05-16", "Company 8"],
  SN027: ["2025-05-10", "Company 8"],
  SN028: ["2025-05-16", "Company 8"],
};
