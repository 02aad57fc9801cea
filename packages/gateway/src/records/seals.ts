// Sealed invoices (issue 9). On acceptance each invoice gets a seal: an Ed25519 signature (node:crypto)
// over a canonical record of what was sent and what FBR answered. FBR publishes no format for the
// "digital signature recorded on the invoice", so ours is documented in docs/records.md:
//
//   record    = canonical JSON (keys sorted, no spaces) of SealRecord below
//   signature = Ed25519(record bytes, UTF-8), base64url
//   short     = "RS1-" + key id (8 hex) + "-" + first 16 characters of the signature: printed on documents
//
// The worker seals an invoice in the transaction that records FBR's acceptance (`signSeal` + `writeSeal`,
// outbox/settle.ts), so the acceptance, its seal and the `invoice.sealed` audit entry share one commit.
// Acceptances made any other way (a reconcile, a late answer), and any the worker could not seal, are sealed
// right after their commit by the gateway's Sealer (on the state-change event, and a sweep at start), in
// one transaction with the same audit entry (on PostgreSQL the Sealer's seals share the group commit's).
import { createHash, verify } from "node:crypto";
import { canonicalJson } from "@raseed/sdk";
import type { Kysely, Transaction } from "kysely";
import { type AuditEntryInput, appendAudit } from "../audit/audit-log.ts";
import { sealedTotals } from "../documents/printable.ts";
import { precompiled, valuesStatement } from "../store/compiled-query.ts";
import type { GroupCommitter } from "../store/group-commit.ts";
import { nowIso } from "../store/ids.ts";
import type { Database, InvoiceRow, SealsTable, TenantRow } from "../store/schema.ts";
import { type RecordKeys, signWithRecordKey, signWithRecordKeyOffLoop } from "./keys.ts";

export const SEAL_FORMAT_VERSION = 1;

type Executor = Kysely<Database> | Transaction<Database>;

/** What a seal signs: enough to prove the invoice row, the payload and FBR's answer are unchanged. */
export interface SealRecord {
  v: number;
  invoiceId: string;
  tenantId: string;
  channel: string;
  sellerNtn: string;
  /** SHA-256 (hex) of the exact payload posted to FBR (`invoices.payload`). */
  payloadSha256: string;
  fbrInvoiceNumber: string;
  fbrDated: string | null;
  /** SHA-256 (hex) of FBR's answer as received, when it came over the wire (null: number from IRIS). */
  fbrResponseSha256: string | null;
  totals: { payable: string; salesTax: string; valueExcludingTax: string };
}

export interface Seal {
  invoiceId: string;
  record: SealRecord;
  signature: string;
  keyId: string;
  short: string;
  sealedAt: string;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function sealShortForm(keyId: string, signature: string): string {
  return `RS1-${keyId.slice(0, 8)}-${signature.slice(0, 16)}`;
}

/** The record as the row and FBR's stored answer say it (currentSealRecord reads the answer). */
function sealRecordOf(row: InvoiceRow, tenant: TenantRow, fbrResponse: string | null): SealRecord {
  const totals = sealedTotals(row);
  return {
    v: SEAL_FORMAT_VERSION,
    invoiceId: row.id,
    tenantId: row.tenant_id,
    channel: row.channel,
    sellerNtn: tenant.ntn,
    payloadSha256: sha256(row.payload),
    fbrInvoiceNumber: row.fbr_invoice_number ?? "",
    fbrDated: row.fbr_dated,
    fbrResponseSha256: fbrResponse === null ? null : sha256(fbrResponse),
    totals: {
      payable: totals.payable.toFixed(2),
      salesTax: totals.salesTax.toFixed(2),
      valueExcludingTax: totals.valueExcludingTax.toFixed(2),
    },
  };
}

export function sealSignatureHolds(keys: RecordKeys, recordJson: string, signature: string): boolean {
  try {
    return verify(
      null,
      Buffer.from(recordJson, "utf8"),
      keys.sealPublicKey,
      Buffer.from(signature, "base64url"),
    );
  } catch {
    return false;
  }
}

/** FBR's answer to the accepting attempt, byte for byte as stored (null when settled by reconcile). */
async function acceptedResponse(db: Executor, invoiceId: string): Promise<string | null> {
  const attempt = await db
    .selectFrom("attempts")
    .select("response_body")
    .where("invoice_id", "=", invoiceId)
    .where("outcome", "=", "accepted")
    .orderBy("attempt_no", "desc")
    .executeTakeFirst();
  return attempt?.response_body ?? null;
}

/**
 * The seal record of the invoice as the database holds it now, FBR's stored answer included: what the
 * sealer signs at acceptance and what `audit verify` compares with the signed one. Built here only.
 */
export async function currentSealRecord(
  db: Executor,
  row: InvoiceRow,
  tenant: TenantRow,
): Promise<SealRecord> {
  return sealRecordOf(row, tenant, await acceptedResponse(db, row.id));
}

/** A seal signed and ready to be written with its audit entry (`writeSeal`). */
export interface SignedSeal {
  seal: Seal;
  row: SealsTable;
  audit: AuditEntryInput;
}

/**
 * Signs the seal of an accepted invoice: `row` as the store holds it once the acceptance is written,
 * `fbrResponse` FBR's answer as stored on the accepting attempt (null: the number came from IRIS).
 */
export function signSeal(
  keys: RecordKeys,
  row: InvoiceRow,
  tenant: TenantRow,
  fbrResponse: string | null,
): SignedSeal {
  const record = sealRecordOf(row, tenant, fbrResponse);
  const recordJson = canonicalJson(record);
  return signedSeal(keys, row, record, recordJson, signWithRecordKey(keys, recordJson));
}

/** `signSeal` with the signature made in libuv's thread pool (the worker's settlements). */
export async function signSealOffLoop(
  keys: RecordKeys,
  row: InvoiceRow,
  tenant: TenantRow,
  fbrResponse: string | null,
): Promise<SignedSeal> {
  const record = sealRecordOf(row, tenant, fbrResponse);
  const recordJson = canonicalJson(record);
  return signedSeal(keys, row, record, recordJson, await signWithRecordKeyOffLoop(keys, recordJson));
}

function signedSeal(
  keys: RecordKeys,
  row: InvoiceRow,
  record: SealRecord,
  recordJson: string,
  signature: string,
): SignedSeal {
  const short = sealShortForm(keys.sealKeyId, signature);
  const sealedAt = nowIso();
  return {
    seal: { invoiceId: row.id, record, signature, keyId: keys.sealKeyId, short, sealedAt },
    row: {
      invoice_id: row.id,
      tenant_id: row.tenant_id,
      record: recordJson,
      signature,
      key_id: keys.sealKeyId,
      sealed_at: sealedAt,
    },
    audit: {
      tenantId: row.tenant_id,
      actor: "system",
      action: "invoice.sealed",
      subject: row.id,
      details: {
        seal: short,
        keyId: keys.sealKeyId,
        fbrInvoiceNumber: record.fbrInvoiceNumber,
        payloadSha256: record.payloadSha256,
      },
    },
  };
}

const insertSealIfAbsent = precompiled((db, slots: { [K in keyof SealsTable]: SealsTable[K] }) =>
  db
    .insertInto("seals")
    .values({
      invoice_id: slots.invoice_id,
      tenant_id: slots.tenant_id,
      record: slots.record,
      signature: slots.signature,
      key_id: slots.key_id,
      sealed_at: slots.sealed_at,
    })
    .onConflict((oc) => oc.column("invoice_id").doNothing())
    .returning("invoice_id"),
);

/**
 * Writes a signed seal in the caller's transaction, unless the invoice already has one (then nothing is
 * written and the answer is false). Its audit entry goes to `auditInto` when given (the caller appends a
 * group's entries at once), else it is appended here; either way it commits with the seal.
 */
export async function writeSeal(
  trx: Transaction<Database>,
  signed: SignedSeal,
  auditInto?: AuditEntryInput[],
): Promise<boolean> {
  const inserted = await insertSealIfAbsent(trx, signed.row);
  if (inserted.length === 0) return false;
  if (auditInto !== undefined) auditInto.push(signed.audit);
  else await appendAudit(trx, signed.audit);
  return true;
}

/**
 * `writeSeal` for several signed seals (a group's acceptances): one insert for all of them, each skipped when
 * its invoice already has a seal. Answers, per seal in order, its audit entry when it was written (the
 * caller appends the entries in `trx`, where they commit with the seals), undefined when it was not.
 */
export async function writeSeals(
  trx: Transaction<Database>,
  signed: readonly SignedSeal[],
): Promise<(AuditEntryInput | undefined)[]> {
  if (signed.length === 0) return [];
  const inserted = await insertSealsIfAbsent(
    trx,
    signed.map(({ row }) => [
      row.invoice_id,
      row.tenant_id,
      row.record,
      row.signature,
      row.key_id,
      row.sealed_at,
    ]),
  );
  const written = new Set(inserted.map((row) => row.invoice_id));
  // Two seals of one invoice in one insert: the first is written, as two writeSeal calls in a row would.
  return signed.map((seal) => (written.delete(seal.row.invoice_id) ? seal.audit : undefined));
}

// SQLite reads `ON CONFLICT` after `INSERT ... SELECT` as a join's ON unless the SELECT has a WHERE.
const insertSealsIfAbsent = valuesStatement<{ invoice_id: string }>(
  ["invoice_id", "tenant_id", "record", "signature", "key_id", "sealed_at"],
  `INSERT INTO seals (invoice_id, tenant_id, record, signature, key_id, sealed_at)
   SELECT invoice_id, tenant_id, record, signature, key_id, sealed_at FROM v WHERE true
   ON CONFLICT (invoice_id) DO NOTHING RETURNING invoice_id`,
);

/**
 * Seals one accepted invoice, once: a second call (another instance, the start-up sweep) finds the seal
 * and does nothing. Returns the seal, or undefined when the invoice is not (or no longer) accepted.
 */
export async function sealInvoice(
  db: Kysely<Database>,
  keys: RecordKeys,
  invoiceId: string,
  /** Writes the seal in the next group commit instead of a transaction of its own (PostgreSQL, issue 11). */
  committer?: GroupCommitter,
): Promise<Seal | undefined> {
  const existing = await readSeal(db, invoiceId);
  if (existing !== undefined) return existing;
  const transact = <T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
    committer === undefined ? db.transaction().execute(work) : committer.run(work);
  const sealed = await transact(async (trx) => {
    const row = await trx.selectFrom("invoices").selectAll().where("id", "=", invoiceId).executeTakeFirst();
    if (row === undefined || row.state !== "accepted" || row.fbr_invoice_number === null) return undefined;
    const tenant = await trx
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", row.tenant_id)
      .executeTakeFirstOrThrow();
    const signed = signSeal(keys, row, tenant, await acceptedResponse(trx, row.id));
    // Another writer sealed it meanwhile: its seal stands (read below), and no second audit entry is written.
    return (await writeSeal(trx, signed)) ? signed.seal : null;
  });
  if (sealed === null) return readSeal(db, invoiceId);
  return sealed;
}

export async function readSeal(db: Kysely<Database>, invoiceId: string): Promise<Seal | undefined> {
  const row = await db.selectFrom("seals").selectAll().where("invoice_id", "=", invoiceId).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    invoiceId,
    record: JSON.parse(row.record) as SealRecord,
    signature: row.signature,
    keyId: row.key_id,
    short: sealShortForm(row.key_id, row.signature),
    sealedAt: row.sealed_at,
  };
}

/** Seals every accepted invoice that has no seal yet (start-up sweep; bounded per call). */
export async function sealPendingInvoices(
  db: Kysely<Database>,
  keys: RecordKeys,
  limit = 500,
): Promise<number> {
  const pending = await db
    .selectFrom("invoices")
    .leftJoin("seals", "seals.invoice_id", "invoices.id")
    .select("invoices.id")
    .where("invoices.state", "=", "accepted")
    .where("seals.invoice_id", "is", null)
    .limit(limit)
    .execute();
  let sealed = 0;
  for (const { id } of pending) if ((await sealInvoice(db, keys, id)) !== undefined) sealed += 1;
  return sealed;
}

/**
 * Whether a buyer may already hold this invoice as issued: a tax invoice of it was printed, or it was
 * sealed. The reconcile-correction rule (invoices/lifecycle.ts) must not silently change such an
 * invoice's FBR number.
 */
export async function invoiceWasPrintedOrSealed(db: Kysely<Database>, invoiceId: string): Promise<boolean> {
  const printed = await db
    .selectFrom("invoice_prints")
    .select("prints")
    .where("invoice_id", "=", invoiceId)
    .executeTakeFirst();
  if (printed !== undefined && Number(printed.prints) > 0) return true;
  const sealed = await db
    .selectFrom("seals")
    .select("invoice_id")
    .where("invoice_id", "=", invoiceId)
    .executeTakeFirst();
  return sealed !== undefined;
}
