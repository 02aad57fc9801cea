// IMS code tables (FBR-SPEC §11 header and item field tables): the sdk's one copy. The builders, the
// validator, the IMS input normaliser, the simulator and the POS bridge's receipts all read them from here.

/** IMS PaymentMode codes: 1 Cash, 2 Card, 3 Gift Voucher, 4 Loyalty Card, 5 Mixed, 6 Cheque (spec §11). */
export const IMS_PAYMENT_MODES = {
  cash: 1,
  card: 2,
  giftVoucher: 3,
  loyaltyCard: 4,
  mixed: 5,
  cheque: 6,
} as const;
export type ImsPaymentModeName = keyof typeof IMS_PAYMENT_MODES;

/** IMS header InvoiceType codes: 1 New, 2 Debit, 3 Credit (spec §11). */
export const IMS_INVOICE_TYPES = { new: 1, debit: 2, credit: 3 } as const;
export type ImsInvoiceKind = keyof typeof IMS_INVOICE_TYPES;

/** IMS item InvoiceType codes: 1 New, 3 Credit, 11 3rd Schedule New, 12 3rd Schedule Credit (spec §11). */
export const IMS_ITEM_INVOICE_TYPES = {
  new: 1,
  credit: 3,
  thirdScheduleNew: 11,
  thirdScheduleCredit: 12,
} as const;
export type ImsItemInvoiceKind = keyof typeof IMS_ITEM_INVOICE_TYPES;

/** The words FBR's field table gives each code, as a receipt or a message prints them. */
const LABELS = {
  paymentMode: {
    cash: "Cash",
    card: "Card",
    giftVoucher: "Gift Voucher",
    loyaltyCard: "Loyalty Card",
    mixed: "Mixed",
    cheque: "Cheque",
  } satisfies Record<ImsPaymentModeName, string>,
  invoiceType: { new: "New", debit: "Debit", credit: "Credit" } satisfies Record<ImsInvoiceKind, string>,
  itemInvoiceType: {
    new: "New",
    credit: "Credit",
    thirdScheduleNew: "3rd Schedule New",
    thirdScheduleCredit: "3rd Schedule Credit",
  } satisfies Record<ImsItemInvoiceKind, string>,
};

function labelsByCode<K extends string>(
  codes: Readonly<Record<K, number>>,
  labels: Readonly<Record<K, string>>,
): Readonly<Record<number, string>> {
  const out: Record<number, string> = {};
  for (const name of Object.keys(codes) as K[]) out[codes[name]] = labels[name];
  return Object.freeze(out);
}

/** Code → FBR's label: `IMS_PAYMENT_MODE_LABELS[3]` is "Gift Voucher". */
export const IMS_PAYMENT_MODE_LABELS = labelsByCode(IMS_PAYMENT_MODES, LABELS.paymentMode);
/** Code → FBR's label for a header InvoiceType: 1 "New", 2 "Debit", 3 "Credit". */
export const IMS_INVOICE_TYPE_LABELS = labelsByCode(IMS_INVOICE_TYPES, LABELS.invoiceType);
/** Code → FBR's label for an item InvoiceType: 1 "New", 3 "Credit", 11 "3rd Schedule New", 12 ... */
export const IMS_ITEM_INVOICE_TYPE_LABELS = labelsByCode(IMS_ITEM_INVOICE_TYPES, LABELS.itemInvoiceType);

/** Header InvoiceTypes that correct an earlier sale and so need RefUSIN: Debit and Credit. */
export const IMS_CORRECTING_INVOICE_TYPES: ReadonlySet<number> = new Set([
  IMS_INVOICE_TYPES.debit,
  IMS_INVOICE_TYPES.credit,
]);
/** Item InvoiceTypes that credit an earlier sale and so need RefUSIN (on the line or the header). */
export const IMS_CORRECTING_ITEM_TYPES: ReadonlySet<number> = new Set([
  IMS_ITEM_INVOICE_TYPES.credit,
  IMS_ITEM_INVOICE_TYPES.thirdScheduleCredit,
]);
