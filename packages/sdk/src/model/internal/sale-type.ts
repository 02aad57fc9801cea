import { findTransactionType } from "../../reference/index.ts";

/** Maps a caller's sale type to the registry string FBR wants, or undefined when it is not in the registry. */
export type SaleTypeLookup = (saleType: string) => string | undefined;

/**
 * The registry string for a sale type: integrators got 0204 until they sent /transtypecode's string verbatim,
 * padding included (" 3rd Schedule Goods "), so we match trimmed and case-insensitively and send FBR's
 * spelling. A sale type the snapshot does not know is sent as given: the registry changes over time and
 * validation (0013 / 0204) is where an unknown sale type is reported.
 */
export function registrySaleType(saleType: string, lookup: SaleTypeLookup | undefined): string {
  const found = lookup === undefined ? findTransactionType(saleType)?.transactioN_DESC : lookup(saleType);
  return found ?? saleType;
}
