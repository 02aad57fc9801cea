// An amount in words the way Pakistani invoices and cheques write it: the South Asian grouping of
// thousand, lakh (1,00,000) and crore (1,00,00,000), e.g. "Rupees One Lakh Eighteen Thousand Only".
// Above a crore the crore count is itself said in words ("Two Hundred Fifty Crore"), as printed amounts
// on Pakistani documents do (arab/kharab are rarely printed). Paisa are the two decimals after rounding.
import type { Decimal } from "decimal.js";
import { roundMoney } from "../tax/decimal.ts";

const ONES = [
  "Zero",
  "One",
  "Two",
  "Three",
  "Four",
  "Five",
  "Six",
  "Seven",
  "Eight",
  "Nine",
  "Ten",
  "Eleven",
  "Twelve",
  "Thirteen",
  "Fourteen",
  "Fifteen",
  "Sixteen",
  "Seventeen",
  "Eighteen",
  "Nineteen",
] as const;
const TENS = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"] as const;

/** 1..99 */
function belowHundred(n: number): string {
  if (n < 20) return ONES[n] ?? "";
  const ten = TENS[Math.floor(n / 10)] ?? "";
  return n % 10 === 0 ? ten : `${ten} ${ONES[n % 10]}`;
}

/** 1..999 */
function belowThousand(n: number): string {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  const parts: string[] = [];
  if (hundreds > 0) parts.push(`${ONES[hundreds]} Hundred`);
  if (rest > 0) parts.push(belowHundred(rest));
  return parts.join(" ");
}

/** A whole number (BigInt, so 10+ digit crores stay exact) in words; 0 is "Zero". */
export function wholeNumberInWords(value: bigint): string {
  if (value < 0n) return `Minus ${wholeNumberInWords(-value)}`;
  if (value === 0n) return ONES[0];
  const parts: string[] = [];
  const crores = value / 10_000_000n;
  let rest = Number(value % 10_000_000n);
  if (crores > 0n) parts.push(`${wholeNumberInWords(crores)} Crore`);
  const lakhs = Math.floor(rest / 100_000);
  rest %= 100_000;
  if (lakhs > 0) parts.push(`${belowHundred(lakhs)} Lakh`);
  const thousands = Math.floor(rest / 1000);
  rest %= 1000;
  if (thousands > 0) parts.push(`${belowHundred(thousands)} Thousand`);
  if (rest > 0) parts.push(belowThousand(rest));
  return parts.join(" ");
}

/**
 * "Rupees One Thousand One Hundred Eighty Only", "Rupees Two Crore Fifty Lakh Seventy Five Thousand and
 * Twenty Five Paisa Only", "Fifty Paisa Only". The amount is rounded to paisa (half up) first; negative
 * amounts (credit lines) read "Minus ...".
 */
export function amountInWords(amount: Decimal.Value): string {
  const rounded: Decimal = roundMoney(amount);
  const negative = rounded.isNegative() && !rounded.isZero();
  const paisaTotal = BigInt(rounded.abs().times(100).toFixed(0));
  const rupees = paisaTotal / 100n;
  const paisa = Number(paisaTotal % 100n);
  const sign = negative ? "Minus " : "";
  if (rupees === 0n && paisa > 0) return `${sign}${belowHundred(paisa)} Paisa Only`;
  const rupeeWords = `Rupees ${sign}${wholeNumberInWords(rupees)}`;
  return paisa === 0 ? `${rupeeWords} Only` : `${rupeeWords} and ${belowHundred(paisa)} Paisa Only`;
}

/** 1,00,000 and 2,50,75,000.25: the South Asian digit grouping printed beside the words. */
export function formatAmountPk(amount: Decimal.Value): string {
  const fixed = roundMoney(amount).toFixed(2);
  const negative = fixed.startsWith("-");
  const [whole = "0", decimals = "00"] = (negative ? fixed.slice(1) : fixed).split(".");
  const lastThree = whole.slice(-3);
  const head = whole.slice(0, -3);
  const grouped = head === "" ? lastThree : `${head.replace(/\B(?=(\d{2})+$)/g, ",")},${lastThree}`;
  return `${negative ? "-" : ""}${grouped}.${decimals}`;
}
