// Rows of the DI reference APIs (spec v1.12 §5), with FBR's odd key casing kept exactly
// (`hS_CODE`, `transactioN_TYPE_ID`, `ratE_DESC` ...): see spec/data/di-reference-api.json.
import { z } from "zod";
import { arrayError, fbrCode, lenientInteger, lenientNumber, lenientString, objectError } from "./lenient.ts";

/** `/pdi/v1/provinces` (§5.1). */
export interface ProvinceRow {
  stateProvinceCode: number;
  stateProvinceDesc: string;
}
/** `/pdi/v1/doctypecode` (§5.2). */
export interface DocTypeRow {
  docTypeId: number;
  docDescription: string;
}
/** `/pdi/v1/itemdesccode` (§5.3). */
export interface ItemDescCodeRow {
  hS_CODE: string;
  description: string;
}
/** `/pdi/v1/sroitemcode` (§5.4). */
export interface SroItemCodeRow {
  srO_ITEM_ID: number;
  srO_ITEM_DESC: string;
}
/** `/pdi/v1/transtypecode` (§5.5). `transactioN_DESC` may be space-padded (" Services "). */
export interface TransTypeRow {
  transactioN_TYPE_ID: number;
  transactioN_DESC: string;
}
/** `/pdi/v1/uom` (§5.6). */
export interface UomRow {
  uoM_ID: number;
  description: string;
}
/** `/pdi/v1/SroSchedule` (§5.7); `srO_DESC` is the value for items[].sroScheduleNo. */
export interface SroScheduleRow {
  srO_ID: number;
  srO_DESC: string;
}
/** `/pdi/v2/SaleTypeToRate` (§5.8); `ratE_DESC` is the value for items[].rate. */
export interface SaleTypeRateRow {
  ratE_ID: number;
  ratE_DESC: string;
  ratE_VALUE: number;
}
/** `/pdi/v2/HS_UOM` (§5.9). */
export interface HsUomRow {
  uoM_ID: number;
  description: string;
}
/** `/pdi/v2/SROItem` (§5.10); `srO_ITEM_DESC` is the value for items[].sroItemSerialNo. */
export interface SroItemRow {
  srO_ITEM_ID: number;
  srO_ITEM_DESC: string;
}
/** `/dist/v1/statl` (§5.11); the key is literally "status code", with a space. */
export interface StatlResponse {
  "status code": string;
  status: string;
}
/** `/dist/v1/Get_Reg_Type` (§5.12): "00" Registered, "01" unregistered. */
export interface RegTypeResponse {
  statuscode: string;
  REGISTRATION_NO: string;
  REGISTRATION_TYPE: string;
}

export const provinceRowSchema: z.ZodType<ProvinceRow> = z.object(
  { stateProvinceCode: lenientInteger(), stateProvinceDesc: lenientString() },
  objectError("a province row"),
);
export const docTypeRowSchema: z.ZodType<DocTypeRow> = z.object(
  { docTypeId: lenientInteger(), docDescription: lenientString() },
  objectError("a document type row"),
);
export const itemDescCodeRowSchema: z.ZodType<ItemDescCodeRow> = z.object(
  { hS_CODE: lenientString(), description: lenientString() },
  objectError("an HS code row"),
);
export const sroItemCodeRowSchema: z.ZodType<SroItemCodeRow> = z.object(
  { srO_ITEM_ID: lenientInteger(), srO_ITEM_DESC: lenientString() },
  objectError("an SRO item code row"),
);
export const transTypeRowSchema: z.ZodType<TransTypeRow> = z.object(
  { transactioN_TYPE_ID: lenientInteger(), transactioN_DESC: lenientString() },
  objectError("a transaction type row"),
);
export const uomRowSchema: z.ZodType<UomRow> = z.object(
  { uoM_ID: lenientInteger(), description: lenientString() },
  objectError("a UoM row"),
);
export const sroScheduleRowSchema: z.ZodType<SroScheduleRow> = z.object(
  { srO_ID: lenientInteger(), srO_DESC: lenientString() },
  objectError("an SRO schedule row"),
);
export const saleTypeRateRowSchema: z.ZodType<SaleTypeRateRow> = z.object(
  { ratE_ID: lenientInteger(), ratE_DESC: lenientString(), ratE_VALUE: lenientNumber() },
  objectError("a sale type rate row"),
);
export const hsUomRowSchema: z.ZodType<HsUomRow> = z.object(
  { uoM_ID: lenientInteger(), description: lenientString() },
  objectError("an HS UoM row"),
);
export const sroItemRowSchema: z.ZodType<SroItemRow> = z.object(
  { srO_ITEM_ID: lenientInteger(), srO_ITEM_DESC: lenientString() },
  objectError("an SRO item row"),
);
export const statlResponseSchema: z.ZodType<StatlResponse> = z.object(
  { "status code": fbrCode(2), status: lenientString() },
  objectError("a statl response"),
);
export const regTypeResponseSchema: z.ZodType<RegTypeResponse> = z.object(
  { statuscode: fbrCode(2), REGISTRATION_NO: lenientString(), REGISTRATION_TYPE: lenientString() },
  objectError("a Get_Reg_Type response"),
);

/** The list reference APIs answer with a JSON array of rows. */
export function referenceListSchema<Row>(rowSchema: z.ZodType<Row>, what: string): z.ZodType<Row[]> {
  return z.array(rowSchema, arrayError(what));
}
