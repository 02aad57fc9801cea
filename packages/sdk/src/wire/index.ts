// FBR wire shapes (DI and IMS) with lenient runtime schemas; field names exactly as FBR spells them.
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
