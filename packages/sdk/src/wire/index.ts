// FBR wire shapes (DI and IMS) with lenient runtime schemas; field names exactly as FBR spells them. Also the
// FBR facts every package shares: canonical JSON and the IMS code tables.
export { canonicalJson } from "./canonical-json.ts";
export type { DiInvoice, DiInvoiceStatus, DiItem, DiResponse, Wso2Fault } from "./di.ts";
export {
  diInvoiceSchema,
  diInvoiceStatusSchema,
  diItemSchema,
  diResponseSchema,
  wso2FaultSchema,
} from "./di.ts";
export type { ImsInvoice, ImsItem, ImsResponse } from "./ims.ts";
export { imsFiscalNumber, imsInvoiceSchema, imsItemSchema, imsResponseSchema } from "./ims.ts";
export {
  IMS_CORRECTING_INVOICE_TYPES,
  IMS_CORRECTING_ITEM_TYPES,
  IMS_INVOICE_TYPE_LABELS,
  IMS_INVOICE_TYPES,
  IMS_ITEM_INVOICE_TYPE_LABELS,
  IMS_ITEM_INVOICE_TYPES,
  IMS_PAYMENT_MODE_LABELS,
  IMS_PAYMENT_MODES,
  type ImsInvoiceKind,
  type ImsItemInvoiceKind,
  type ImsPaymentModeName,
} from "./ims-codes.ts";
export { jsonNestingExceeds, MAX_JSON_DEPTH } from "./json-depth.ts";
export type { WireIssue, WireResult } from "./parse.ts";
export { formatWireIssues, formatWirePath, parseFbrJson, parseWire } from "./parse.ts";
export type {
  DocTypeRow,
  HsUomRow,
  ItemDescCodeRow,
  ProvinceRow,
  RegTypeResponse,
  SaleTypeRateRow,
  SroItemCodeRow,
  SroItemRow,
  SroScheduleRow,
  StatlResponse,
  TransTypeRow,
  UomRow,
} from "./reference-rows.ts";
export {
  docTypeRowSchema,
  hsUomRowSchema,
  itemDescCodeRowSchema,
  provinceRowSchema,
  referenceListSchema,
  regTypeResponseSchema,
  saleTypeRateRowSchema,
  sroItemCodeRowSchema,
  sroItemRowSchema,
  sroScheduleRowSchema,
  statlResponseSchema,
  transTypeRowSchema,
  uomRowSchema,
} from "./reference-rows.ts";
