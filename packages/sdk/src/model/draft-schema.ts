// The draft (DiInvoiceDraft) as it arrives as JSON, e.g. in the gateway's `POST /v1/invoices { draft }`: a
// zod schema that reports every structural problem at once (buildDiInvoice stops at the first). It is
// derived from the type, not beside it: its output must be a DiInvoiceDraft (so the builder takes what it
// parsed without a cast), and the key checks below fail to compile when a field is added to the type and
// not here, or here and not to the type. In JSON a date is "YYYY-MM-DD" and an amount a number or a
// numeric string. Optional fields are exactOptional: absent, never `undefined` (exactOptionalPropertyTypes).
import { z } from "zod";
import type { GatewayInvoiceDraft } from "../gateway/types.ts";
import type { DiBuyerDraft, DiInvoiceDraft, DiLineDraft, DiPartyDraft } from "./di.ts";

// Checked, not transformed: what was parsed is what the builder gets (it trims where FBR's rules need it).
const text = z.string().refine((s) => s.trim() !== "", "is required");
/** Decimal.Value as it arrives in JSON: a finite number or a numeric string. */
const amount = z.union(
  [
    z.number().finite(),
    z.string().refine((s) => s.trim() !== "" && Number.isFinite(Number(s)), "must be a number"),
  ],
  { error: "must be a number or a numeric string" },
);

export const diPartyDraftSchema = z.object({
  ntnCnic: text,
  businessName: text,
  province: text,
  address: text,
});

const buyerSchema = diPartyDraftSchema.extend({
  registrationType: z.enum(["Registered", "Unregistered"], {
    error: 'must be "Registered" or "Unregistered"',
  }),
});

const lineSchema = z.object({
  hsCode: text,
  description: text,
  uoM: text,
  quantity: amount,
  unitPrice: amount,
  discount: amount.exactOptional(),
  saleType: text,
  rate: text,
  retailPrice: amount.exactOptional(),
  sroScheduleNo: z.string().exactOptional(),
  sroItemSerialNo: z.string().exactOptional(),
  salesTaxWithheldAtSource: amount.exactOptional(),
  fedPayable: amount.exactOptional(),
  extraTax: amount.exactOptional(),
  furtherTax: amount.exactOptional(),
  petroleumLevyOn: z.string().exactOptional(),
});

/** A DiInvoiceDraft as JSON: every structural problem at once, and what it parses is a DiInvoiceDraft. */
export const diInvoiceDraftSchema = z.object({
  seller: diPartyDraftSchema,
  buyer: buyerSchema,
  invoiceType: z
    .enum(["Sale Invoice", "Debit Note"], { error: 'must be "Sale Invoice" or "Debit Note"' })
    .exactOptional(),
  date: text,
  invoiceRefNo: z.string().exactOptional(),
  reason: z.string().exactOptional(),
  reasonRemarks: z.string().exactOptional(),
  scenarioId: z.string().exactOptional(),
  lines: z.array(lineSchema).min(1, "needs at least one line"),
}) satisfies z.ZodType<DiInvoiceDraft>;

/** The gateway's `{ draft }` (GatewayInvoiceDraft): the seller may be left out, it is the API key's tenant. */
export const gatewayInvoiceDraftSchema = diInvoiceDraftSchema.extend({
  seller: diPartyDraftSchema.exactOptional(),
}) satisfies z.ZodType<GatewayInvoiceDraft>;

/** Keys in one and not the other (never when the schema covers the type exactly). */
type KeyDrift<Type, Schema extends z.ZodType> =
  | Exclude<keyof Type, keyof z.output<Schema>>
  | Exclude<keyof z.output<Schema>, keyof Type>;
type Covered<Drift> = [Drift] extends [never] ? true : Drift;

// Compile-time: a field added to (or removed from) a draft type and not to this schema names itself here.
const _schemaCoversDraftTypes: [
  Covered<KeyDrift<DiInvoiceDraft, typeof diInvoiceDraftSchema>>,
  Covered<KeyDrift<GatewayInvoiceDraft, typeof gatewayInvoiceDraftSchema>>,
  Covered<KeyDrift<DiPartyDraft, typeof diPartyDraftSchema>>,
  Covered<KeyDrift<DiBuyerDraft, typeof buyerSchema>>,
  Covered<KeyDrift<DiLineDraft, typeof lineSchema>>,
] = [true, true, true, true, true];
void _schemaCoversDraftTypes;
