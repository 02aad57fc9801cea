// Raseed's own invoice model (not FBR's spellings) and the builders that map it to the wire, computing the
// amounts the way FBR recomputes them.
export {
  type BuildDiInvoiceOptions,
  type BuyerRegistrationType,
  buildDebitNote,
  buildDiInvoice,
  DEBIT_NOTE_WINDOW_DAYS,
  DEFAULT_FURTHER_TAX_RATE,
  type DiBuyerDraft,
  type DiDocumentType,
  type DiInvoiceDraft,
  type DiLineDraft,
  type DiPartyDraft,
  type OriginalDiInvoice,
} from "./di.ts";
export { diInvoiceDraftSchema, diPartyDraftSchema, gatewayInvoiceDraftSchema } from "./draft-schema.ts";
export { InvalidHsCodeError, InvoiceDraftError } from "./errors.ts";
export {
  buildImsInvoice,
  type ImsInvoiceDraft,
  type ImsLineDraft,
  pctCodeFromHsCode,
} from "./ims.ts";
export type { SaleTypeLookup } from "./internal/sale-type.ts";
