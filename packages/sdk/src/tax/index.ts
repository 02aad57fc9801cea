// Tax arithmetic in decimals: FBR's rate vocabulary and the sales tax FBR recomputes (spec §8).
export {
  decimalPlacesOf,
  MONEY_DECIMAL_PLACES,
  QUANTITY_DECIMAL_PLACES,
  roundMoney,
  roundQuantity,
  TaxAmountError,
  TaxDecimal,
  toMoneyNumber,
  toQuantityNumber,
  toTaxDecimal,
} from "./decimal.ts";
export { parseRateDescription, type RateBasis, type RateKind } from "./rate.ts";
export {
  type ExpectedSalesTax,
  expectedSalesTax,
  furtherTaxOn,
  isReducedRateSaleType,
  isThirdScheduleSaleType,
  type SalesTaxBasis,
  type SalesTaxLine,
  type SalesTaxMismatchCode,
} from "./sales-tax.ts";
