// Accepting IMS sales (FBR's fiscal-component model, PascalCase) from POS bridges and tills. They share the
// invoices/outbox/attempts tables, the worker and the lifecycle with DI; only the identity differs: an IMS
// sale is known by its USIN per POSID (FBR-SPEC §11), which doubles as the idempotency key.
import {
  canonicalJson,
  checkImsInvoice,
  type ImsInvoice,
  normaliseImsInvoice,
  type ValidationIssue,
} from "@raseed/sdk";
import type { Kysely } from "kysely";
import { DomainError, notFound } from "../errors.ts";
import { enqueueOutbox } from "../outbox/outbox-sql.ts";
import type { GroupCommitter } from "../store/group-commit.ts";
import { newId, nowIso, sha256Hex } from "../store/ids.ts";
import type { Database, InvoiceRow, InvoiceState, TenantRow } from "../store/schema.ts";
import { findImsTerminal } from "../tenants/ims-terminals.ts";
import { insertInvoice } from "./lifecycle.ts";

export interface ImsSubmission {
  invoice: Record<string, unknown>;
  posId: number;
  usin: string;
  requestHash: string;
}

/** FBR's own IMS answer (Code, Response, Errors) as the last attempt received it, for the till. */
export interface ImsFbrAnswer {
  Code?: unknown;
  Response?: unknown;
  Errors?: unknown;
}

export interface ImsInvoiceView {
  id: string;
  channel: "ims";
  posId: number;
  usin: string;
  state: InvoiceState;
  fbrInvoiceNumber: string | null;
  errors: unknown[] | null;
  reason: string | null;
  attempts: number;
  /** FBR's answer to the last attempt when it was a refusal, exactly as FBR wrote it. */
  fbrResponse: ImsFbrAnswer | null;
  createdAt: string;
  updatedAt: string;
  invoice?: ImsInvoice;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function issueFor(code: string, field: string, message: string, fix: string): ValidationIssue {
  return { code, level: "header", field, path: field, message, fix };
}

/**
 * Validates the sale with the sdk's one IMS normalisation and rules (every issue in one pass; the bridge,
 * the simulator and the CLI run the same) plus the gateway's own rule: the POSID must be one of the
 * tenant's registered terminals. Returns the issues, empty when the sale may be queued.
 */
export async function validateImsForTenant(
  db: Kysely<Database>,
  tenant: TenantRow,
  body: unknown,
): Promise<ValidationIssue[]> {
  const result = checkImsInvoice(body);
  const issues = [...result.issues];
  const posId = result.invoice?.POSID ?? (isRecord(body) ? Number(body.POSID) : Number.NaN);
  if (Number.isSafeInteger(posId) && posId > 0) {
    const terminal = await findImsTerminal(db, tenant.id, posId);
    if (terminal === undefined) {
      issues.push(
        issueFor(
          "RGW-IMS-POS",
          "POSID",
          `POSID ${posId} is not a POS terminal registered for this API key's tenant (${tenant.ntn})`,
          "register the terminal with `raseed tenant add-pos`, or use the API key of the tenant it belongs to",
        ),
      );
    }
  }
  return issues;
}

/**
 * Reads the sale's identity (POSID, USIN) and fingerprints it before anything else. A sale that normalises
 * (the sdk's `normaliseImsInvoice`: any key case, numbers as text, dashed CNIC, ISO dates) is stored, hashed
 * and later posted in FBR's own form, so two spellings of one sale are one sale; anything else is kept as
 * sent for validation to report on.
 */
export function parseImsSubmission(body: unknown): ImsSubmission {
  if (!isRecord(body)) throw new DomainError("bad_request", "the request body must be a JSON object");
  const normalised = normaliseImsInvoice(body);
  if (normalised.ok) {
    const { invoice } = normalised;
    return {
      invoice: { ...invoice },
      posId: invoice.POSID,
      usin: invoice.USIN,
      requestHash: sha256Hex(canonicalJson(invoice)),
    };
  }
  const posId = Number(body.POSID);
  const usin = typeof body.USIN === "string" || typeof body.USIN === "number" ? String(body.USIN).trim() : "";
  // Without an identity there is nothing to be idempotent on; validation below reports the details.
  return {
    invoice: body,
    posId: Number.isSafeInteger(posId) && posId > 0 ? posId : 0,
    usin,
    // The hash covers the whole sale as sent, whatever its key order.
    requestHash: sha256Hex(canonicalJson(body)),
  };
}

export interface ImsSubmitResult {
  created: boolean;
  row: InvoiceRow;
}

function replayOrConflict(existing: InvoiceRow, submission: ImsSubmission): ImsSubmitResult {
  if (existing.request_hash !== submission.requestHash) {
    throw new DomainError(
      "idempotency_conflict",
      `USIN "${submission.usin}" of POSID ${submission.posId} was already used for a different sale (${existing.id})`,
      { invoiceId: existing.id },
    );
  }
  return { created: false, row: existing };
}

export async function findImsByUsin(
  db: Kysely<Database>,
  tenantId: string,
  posId: number,
  usin: string,
): Promise<InvoiceRow | undefined> {
  return db
    .selectFrom("invoices")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("channel", "=", "ims")
    .where("pos_id", "=", posId)
    .where("usin", "=", usin)
    .executeTakeFirst();
}

/** A known USIN answers before validation: the stored sale (same body) or 409 (different body). */
export async function findImsReplay(
  db: Kysely<Database>,
  tenantId: string,
  submission: ImsSubmission,
): Promise<InvoiceRow | undefined> {
  if (submission.posId === 0 || submission.usin === "") return undefined;
  const existing = await findImsByUsin(db, tenantId, submission.posId, submission.usin);
  return existing === undefined ? undefined : replayOrConflict(existing, submission).row;
}

/** Stores the sale, its outbox row and an audit entry in ONE transaction (as DI does). */
export async function submitImsInvoice(
  db: Kysely<Database>,
  committer: GroupCommitter,
  tenant: TenantRow,
  submission: ImsSubmission,
  actor: string,
): Promise<ImsSubmitResult> {
  const existing = await findImsByUsin(db, tenant.id, submission.posId, submission.usin);
  if (existing !== undefined) return replayOrConflict(existing, submission);
  const id = newId("inv");
  const now = nowIso();
  const inserted: InvoiceRow = {
    id,
    tenant_id: tenant.id,
    channel: "ims",
    buyer_ntn_cnic: null,
    buyer_name: null,
    invoice_date: String(submission.invoice.DateTime).slice(0, 10),
    pos_id: submission.posId,
    usin: submission.usin,
    external_ref: null,
    request_hash: submission.requestHash,
    payload: JSON.stringify(submission.invoice),
    // A paused tenant concerns its DI token only; IMS sales use the terminal's own token.
    state: "queued",
    fbr_invoice_number: null,
    fbr_dated: null,
    item_numbers: null,
    errors: null,
    last_reason: null,
    attempt_count: 0,
    created_at: now,
    updated_at: now,
  };
  try {
    await committer.run(async (trx) => {
      await insertInvoice(trx, inserted, {
        actor,
        action: "invoice.received",
        details: {
          channel: "ims",
          posId: submission.posId,
          usin: submission.usin,
          requestHash: submission.requestHash,
        },
      });
      await enqueueOutbox(trx, { invoiceId: id, tenantId: tenant.id });
    }, tenant.id);
  } catch (error) {
    // Two requests with one USIN raced: the unique index let one win; answer as a replay.
    const winner = await findImsByUsin(db, tenant.id, submission.posId, submission.usin);
    if (winner !== undefined) return replayOrConflict(winner, submission);
    throw error;
  }
  return { created: true, row: inserted };
}

/** Tenant-scoped: another tenant's sale is simply not found. */
export async function getImsInvoice(db: Kysely<Database>, tenantId: string, id: string): Promise<InvoiceRow> {
  const row = await db
    .selectFrom("invoices")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("channel", "=", "ims")
    .where("id", "=", id)
    .executeTakeFirst();
  if (row === undefined) throw notFound("IMS invoice");
  return row;
}

/** FBR's answer to the last finished attempt, when it was a refusal (the till shows FBR's own errors). */
async function lastFbrAnswer(db: Kysely<Database>, row: InvoiceRow): Promise<ImsFbrAnswer | null> {
  if (row.state !== "rejected") return null;
  const attempt = await db
    .selectFrom("attempts")
    .select(["response_body"])
    .where("invoice_id", "=", row.id)
    .where("outcome", "=", "rejected")
    .orderBy("attempt_no", "desc")
    .executeTakeFirst();
  if (attempt?.response_body == null) return null;
  try {
    const parsed: unknown = JSON.parse(attempt.response_body);
    if (!isRecord(parsed)) return null;
    return { Code: parsed.Code, Response: parsed.Response, Errors: parsed.Errors };
  } catch {
    return null;
  }
}

export async function toImsInvoiceView(
  db: Kysely<Database>,
  row: InvoiceRow,
  withPayload = false,
): Promise<ImsInvoiceView> {
  return {
    id: row.id,
    channel: "ims",
    posId: Number(row.pos_id),
    usin: row.usin ?? "",
    state: row.state,
    fbrInvoiceNumber: row.fbr_invoice_number,
    errors: row.errors === null ? null : (JSON.parse(row.errors) as unknown[]),
    reason: row.last_reason,
    attempts: Number(row.attempt_count),
    fbrResponse: await lastFbrAnswer(db, row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(withPayload ? { invoice: JSON.parse(row.payload) as ImsInvoice } : {}),
  };
}
