// One printable view of an invoice, whichever FBR channel reported it, so the A4 and receipt layouts are
// written once. Field names follow what Rule 150XA / SRO 1006(I)/2021 ask a tax invoice to show (seller and
// buyer with NTN/CNIC and province, every line with HS code, quantity, unit, rate, value excluding tax,
// sales tax, further/extra tax, FED, discount; totals; FBR number and date).
import type { DiInvoice, ImsAuthority, ImsInvoice } from "@raseed/sdk";
import { amountInWords, roundMoney, TaxDecimal } from "@raseed/sdk";
import type { InvoiceRow, TenantRow } from "../store/schema.ts";

/** The sdk's decimal (money never touches a float). */
type Decimal = ReturnType<typeof roundMoney>;

export interface PrintableParty {
  name: string;
  /** NTN or CNIC as FBR holds it; "" when the buyer is unregistered and gave none. */
  ntnOrCnic: string;
  province: string;
  address: string;
  registration?: string;
}

export interface PrintableLine {
  hsCode: string;
  description: string;
  quantity: string;
  unit: string;
  rate: string;
  valueExcludingTax: Decimal;
  salesTax: Decimal;
  furtherTax: Decimal;
  extraTax: Decimal;
  fed: Decimal;
  discount: Decimal;
  /** What the buyer pays for the line: value + sales tax + further + extra + FED (sdk model/di.ts). */
  total: Decimal;
}

export interface PrintableTotals {
  valueExcludingTax: Decimal;
  salesTax: Decimal;
  furtherTax: Decimal;
  extraTax: Decimal;
  fed: Decimal;
  discount: Decimal;
  payable: Decimal;
}

export interface PrintableInvoice {
  invoiceId: string;
  channel: "di" | "ims";
  /** Who issued the fiscal number: FBR for DI; for IMS the tenant's IMS authority (FBR or PRA, issue 12). */
  authority: ImsAuthority;
  /** "Sale Invoice", "Debit Note", "Credit Note". */
  documentType: string;
  /** The seller's own reference: DI invoiceRefNo (or the gateway id), IMS USIN. */
  sellerReference: string;
  /** The invoice's own date as the seller issued it. */
  issuedOn: string;
  /** The original FBR number a debit or credit note refers to, when there is one. */
  refersTo?: string;
  posId?: number;
  seller: PrintableParty;
  buyer: PrintableParty;
  lines: PrintableLine[];
  totals: PrintableTotals;
  amountInWords: string;
  fbrInvoiceNumber: string | null;
  fbrDated: string | null;
  state: string;
}

const zero = (): Decimal => new TaxDecimal(0);

function sum(lines: PrintableLine[], pick: (line: PrintableLine) => Decimal): Decimal {
  return lines.reduce((total, line) => total.plus(pick(line)), zero());
}

function totalsOf(lines: PrintableLine[]): PrintableTotals {
  return {
    valueExcludingTax: sum(lines, (l) => l.valueExcludingTax),
    salesTax: sum(lines, (l) => l.salesTax),
    furtherTax: sum(lines, (l) => l.furtherTax),
    extraTax: sum(lines, (l) => l.extraTax),
    fed: sum(lines, (l) => l.fed),
    discount: sum(lines, (l) => l.discount),
    payable: sum(lines, (l) => l.total),
  };
}

/** The value, sales tax and line total of a DI item as printed. */
function diLineAmounts(
  item: DiInvoice["items"][number],
): Pick<PrintableLine, "valueExcludingTax" | "salesTax" | "furtherTax" | "extraTax" | "fed" | "total"> {
  const value = roundMoney(item.valueSalesExcludingST);
  const salesTax = roundMoney(item.salesTaxApplicable);
  const furtherTax = roundMoney(item.furtherTax);
  // extraTax "" is FBR's "not applicable" (0091).
  const extraTax = roundMoney(item.extraTax === "" ? 0 : item.extraTax);
  const fed = roundMoney(item.fedPayable);
  const total = value.plus(salesTax).plus(furtherTax).plus(extraTax).plus(fed);
  return { valueExcludingTax: value, salesTax, furtherTax, extraTax, fed, total };
}

function fromDi(row: InvoiceRow, payload: DiInvoice): Omit<PrintableInvoice, "totals" | "amountInWords"> {
  const lines = payload.items.map((item): PrintableLine => {
    return {
      hsCode: item.hsCode,
      description: item.productDescription,
      quantity: String(item.quantity),
      unit: item.uoM,
      rate: item.rate,
      ...diLineAmounts(item),
      discount: roundMoney(item.discount),
    };
  });
  const debitNote = payload.invoiceType === "Debit Note";
  return {
    invoiceId: row.id,
    channel: "di",
    authority: "fbr",
    documentType: payload.invoiceType,
    sellerReference: debitNote ? (row.external_ref ?? row.id) : payload.invoiceRefNo || row.id,
    issuedOn: payload.invoiceDate,
    ...(debitNote && payload.invoiceRefNo !== "" ? { refersTo: payload.invoiceRefNo } : {}),
    seller: {
      name: payload.sellerBusinessName,
      ntnOrCnic: payload.sellerNTNCNIC,
      province: payload.sellerProvince,
      address: payload.sellerAddress,
    },
    buyer: {
      name: payload.buyerBusinessName,
      ntnOrCnic: payload.buyerNTNCNIC,
      province: payload.buyerProvince,
      address: payload.buyerAddress,
      ...(payload.buyerRegistrationType !== undefined ? { registration: payload.buyerRegistrationType } : {}),
    },
    lines,
    fbrInvoiceNumber: row.fbr_invoice_number,
    fbrDated: row.fbr_dated,
    state: row.state,
  };
}

const IMS_DOCUMENT_TYPES: Readonly<Record<number, string>> = {
  1: "Sale Invoice",
  2: "Debit Note",
  3: "Credit Note",
};

function fromIms(
  row: InvoiceRow,
  payload: ImsInvoice,
  tenant: TenantRow,
  authority: ImsAuthority,
): Omit<PrintableInvoice, "totals" | "amountInWords"> {
  const lines = payload.Items.map((item): PrintableLine => {
    const value = roundMoney(item.SaleValue);
    return {
      hsCode: item.PCTCode,
      description: item.ItemName,
      quantity: String(item.Quantity),
      // IMS items carry no unit of measure.
      unit: "-",
      rate: `${item.TaxRate}%`,
      valueExcludingTax: value,
      salesTax: roundMoney(item.TaxCharged),
      furtherTax: roundMoney(item.FurtherTax),
      extraTax: zero(),
      fed: zero(),
      discount: roundMoney(item.Discount),
      // IMS states the line total itself (TotalAmount); FBR checks it, so print what was reported.
      total: roundMoney(item.TotalAmount),
    };
  });
  return {
    invoiceId: row.id,
    channel: "ims",
    authority,
    documentType: IMS_DOCUMENT_TYPES[payload.InvoiceType] ?? "Sale Invoice",
    sellerReference: payload.USIN,
    issuedOn: payload.DateTime,
    // The stored POS payload may carry RefUSIN: null (FBR's KB model sends it so).
    ...(payload.RefUSIN != null && payload.RefUSIN !== "" ? { refersTo: payload.RefUSIN } : {}),
    posId: payload.POSID,
    seller: { name: tenant.name, ntnOrCnic: tenant.ntn, province: tenant.province, address: tenant.address },
    buyer: {
      name: payload.BuyerName ?? "Walk-in customer",
      ntnOrCnic: payload.BuyerNTN ?? payload.BuyerCNIC ?? "",
      province: "",
      address: "",
    },
    lines,
    fbrInvoiceNumber: row.fbr_invoice_number,
    fbrDated: row.fbr_dated,
    state: row.state,
  };
}

/** What a seal signs of the printed totals (records/seals.ts). */
export type SealedTotals = Pick<PrintableTotals, "payable" | "salesTax" | "valueExcludingTax">;

/**
 * The totals `toPrintable` prints that a seal signs, summed the same way without building the rest of the
 * printable view: the worker seals every invoice it drains, and the whole view (lines, words) was most of
 * the seal's cost after the signature (issue 11).
 */
export function sealedTotals(row: InvoiceRow): SealedTotals {
  let valueExcludingTax = zero();
  let salesTax = zero();
  if (row.channel === "ims") {
    const payload = JSON.parse(row.payload) as ImsInvoice;
    for (const item of payload.Items) {
      valueExcludingTax = valueExcludingTax.plus(roundMoney(item.SaleValue));
      salesTax = salesTax.plus(roundMoney(item.TaxCharged));
    }
    return { valueExcludingTax, salesTax, payable: roundMoney(payload.TotalBillAmount) };
  }
  let payable = zero();
  for (const item of (JSON.parse(row.payload) as DiInvoice).items) {
    const line = diLineAmounts(item);
    valueExcludingTax = valueExcludingTax.plus(line.valueExcludingTax);
    salesTax = salesTax.plus(line.salesTax);
    payable = payable.plus(line.total);
  }
  return { valueExcludingTax, salesTax, payable };
}

/** The invoice as printed. IMS totals are FBR's TotalBillAmount; DI totals are summed from the lines. */
/**
 * `reportedTo`: the IMS authority that accepted the sale (see documents.ts), so a later switch of the tenant's
 * setting does not reprint an FBR sale under PRA's name; the tenant's current setting when unknown.
 */
export function toPrintable(row: InvoiceRow, tenant: TenantRow, reportedTo?: ImsAuthority): PrintableInvoice {
  if (row.channel === "ims") {
    const payload = JSON.parse(row.payload) as ImsInvoice;
    const base = fromIms(row, payload, tenant, reportedTo ?? tenant.ims_authority);
    const totals = { ...totalsOf(base.lines), payable: roundMoney(payload.TotalBillAmount) };
    return { ...base, totals, amountInWords: amountInWords(totals.payable) };
  }
  const base = fromDi(row, JSON.parse(row.payload) as DiInvoice);
  const totals = totalsOf(base.lines);
  return { ...base, totals, amountInWords: amountInWords(totals.payable) };
}
