// Accepting invoices from ERPs and the explicit lifecycle commands (reconcile, retry). Every state change
// goes through invoices/lifecycle.ts (compare-and-set plus its audit entry).
import {
  canonicalJson,
  type DiInvoice,
  type DiValidationResult,
  fbrPostNotBefore,
  type GatewayInvoice,
  type ValidationIssue,
  validateDiInvoice,
} from "@raseed/sdk";
import { type Kysely, sql } from "kysely";
import { DomainError, notFound } from "../errors.ts";
import type { GatewayEvents } from "../events.ts";
import {
  attemptRequestBody,
  enqueueOutboxRows,
  enqueueOutboxStatement,
  requeueOutbox,
} from "../outbox/outbox-sql.ts";
import { precompiled } from "../store/compiled-query.ts";
import type { Batch, GroupCommitter } from "../store/group-commit.ts";
import { newId, sha256Hex } from "../store/ids.ts";
import { batchPerStore, isPostgres, ReadBatch } from "../store/pg-read-batch.ts";
import type { AttemptRow, Database, InvoiceRow, InvoiceState, TenantRow } from "../store/schema.ts";
import { buildDraftOrIssues } from "./draft-issues.ts";
import { type InvoiceListRow, type InvoiceSearch, searchInvoices } from "./invoice-reads.ts";
import { changeInvoiceState, insertInvoices, insertSubmissions } from "./lifecycle.ts";

/** An invoice as the API answers it: the sdk's type, so RaseedGateway's responses are typed from the source. */
export type InvoiceView = GatewayInvoice;

export function toInvoiceView(row: InvoiceRow, withPayload: true): InvoiceView;
export function toInvoiceView(row: InvoiceListRow, withPayload?: false): InvoiceView;
export function toInvoiceView(row: InvoiceListRow & { payload?: string }, withPayload = false): InvoiceView {
  return {
    id: row.id,
    externalRef: row.external_ref,
    state: row.state,
    fbrInvoiceNumber: row.fbr_invoice_number,
    fbrNumberSource: row.fbr_number_source ?? null,
    dated: row.fbr_dated,
    itemNumbers: row.item_numbers === null ? null : (JSON.parse(row.item_numbers) as string[]),
    errors: row.errors === null ? null : (JSON.parse(row.errors) as unknown[]),
    reason: row.last_reason,
    attempts: Number(row.attempt_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(withPayload ? { invoice: JSON.parse(row.payload as string) as DiInvoice } : {}),
  };
}

export interface PreparedInvoice {
  invoice: DiInvoice;
  externalRef: string | null;
  requestHash: string;
  /**
   * The caller already looked the reference up (findReplay) and found nothing, so submitInvoice need not
   * ask again; a request racing it with the same reference is still caught by the unique index.
   */
  replayChecked?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Turns a request body into the DiInvoice to post. Three shapes are accepted:
 * `{ invoice: <DI payload>, externalRef? }`, `{ draft: <Raseed's simpler form>, externalRef? }`, or a bare
 * DI payload exactly as FBR spells it (externalRef then comes from the Idempotency-Key header, or an
 * `externalRef` field that is removed before validation).
 */
export function prepareInvoice(
  body: unknown,
  idempotencyKey: string | undefined,
  tenant: Pick<TenantRow, "ntn" | "name" | "province" | "address" | "environment">,
): PreparedInvoice {
  const envelope = parseSubmission(body, idempotencyKey);
  return { ...envelope, invoice: buildSubmittedInvoice(envelope.content, tenant) };
}

export interface SubmissionEnvelope {
  /** The client's key (Idempotency-Key header or externalRef); null when it sent none (see submissionKey). */
  externalRef: string | null;
  requestHash: string;
  /** The body without externalRef: a DI payload, `{ invoice }` or `{ draft }`. */
  content: Record<string, unknown>;
}

/** Reads the idempotency reference and fingerprints the body, before anything is built or validated. */
export function parseSubmission(body: unknown, idempotencyKey: string | undefined): SubmissionEnvelope {
  if (!isRecord(body)) throw new DomainError("bad_request", "the request body must be a JSON object");
  const { externalRef: bodyRef, ...rest } = body;
  if (
    bodyRef !== undefined &&
    (typeof bodyRef !== "string" || bodyRef.trim() === "" || bodyRef.length > 200)
  ) {
    throw new DomainError("bad_request", "externalRef must be a non-empty string of at most 200 characters");
  }
  if (idempotencyKey !== undefined && (idempotencyKey.trim() === "" || idempotencyKey.length > 200)) {
    throw new DomainError("bad_request", "Idempotency-Key must be 1 to 200 characters");
  }
  if (idempotencyKey !== undefined && bodyRef !== undefined && idempotencyKey !== bodyRef) {
    throw new DomainError(
      "bad_request",
      "the Idempotency-Key header and externalRef differ; send one or make them equal",
    );
  }
  const externalRef = idempotencyKey ?? (bodyRef as string | undefined) ?? null;
  // The hash covers what the caller sent (not the key), so a replay with equal content is recognised
  // whatever the JSON key order.
  return { externalRef, requestHash: sha256Hex(canonicalJson(rest)), content: rest };
}

/**
 * The key a DI submission is stored and replayed under: the client's own, or, when it sent none, one derived
 * from the tenant and the canonical hash of what it sent (issue 13). A DI payload carries no seller invoice
 * number FBR would deduplicate on, so without this an ERP resending the same payload reports it twice. An
 * identical resend is then the same invoice; two intentionally identical invoices need two keys.
 */
export function submissionKey(
  tenantId: string,
  envelope: Pick<SubmissionEnvelope, "externalRef" | "requestHash">,
): { key: string; derived: boolean } {
  if (envelope.externalRef !== null) return { key: envelope.externalRef, derived: false };
  return { key: `${DERIVED_KEY_PREFIX}${sha256Hex(`${tenantId}\n${envelope.requestHash}`)}`, derived: true };
}

/** Derived keys say so: `auto:` and 64 hex digits. */
export const DERIVED_KEY_PREFIX = "auto:";

/**
 * Turns the submitted content into the DiInvoice to post: a draft is built by the sdk (the seller defaults
 * to the key's tenant); an FBR payload is taken as sent.
 */
export function buildSubmittedInvoice(
  content: Record<string, unknown>,
  tenant: Pick<TenantRow, "ntn" | "name" | "province" | "address" | "environment">,
): DiInvoice {
  const rest = content;
  let invoice: unknown;
  if (isRecord(rest.draft)) {
    // The seller is the key's tenant, so a draft may leave it out. The sdk's draft schema checks the rest.
    const draft = {
      seller: {
        ntnCnic: tenant.ntn,
        businessName: tenant.name,
        province: tenant.province,
        address: tenant.address,
      },
      ...rest.draft,
    };
    const built = buildDraftOrIssues(draft, { sandbox: tenant.environment === "sandbox" });
    if ("issues" in built) {
      // Every problem at once, in the same shape and code as an FBR payload's validation (docs/api.md).
      throw new DomainError(
        "validation_failed",
        `the draft has ${built.issues.length} problem(s); nothing was queued`,
        { issues: built.issues },
      );
    }
    invoice = built.invoice;
  } else if (isRecord(rest.invoice)) {
    invoice = rest.invoice;
  } else if ("items" in rest || "sellerNTNCNIC" in rest) {
    invoice = rest;
  } else {
    throw new DomainError(
      "bad_request",
      "send an FBR DI payload (bare or as `invoice`) or Raseed's simpler form as `draft`",
    );
  }
  return invoice as DiInvoice;
}

/** Local validation with the sdk plus the gateway's own rule: the seller must be the key's tenant (0401). */
export function validateForTenant(invoice: unknown, tenant: TenantRow): ValidationIssue[] {
  return localVerdict(invoice, tenant).issues;
}

/**
 * The three-way verdict (valid / invalid / valid-fbr-will-check) with the rules only FBR can still check,
 * plus the gateway's own 0401 rule.
 */
export function localVerdict(invoice: unknown, tenant: TenantRow): DiValidationResult {
  const result = validateDiInvoice(invoice, {
    sandbox: tenant.environment === "sandbox",
    sellerNtn: tenant.ntn,
  });
  const issues = [...result.issues];
  const seller = isRecord(invoice) ? invoice.sellerNTNCNIC : undefined;
  if (seller !== tenant.ntn && !issues.some((issue) => issue.code === "0401")) {
    issues.push({
      code: "0401",
      level: "header",
      field: "sellerNTNCNIC",
      path: "sellerNTNCNIC",
      message: `the seller ${String(seller)} is not this API key's tenant (${tenant.ntn})`,
      fix: "send invoices only for the seller the API key belongs to, or use that seller's key",
    });
  }
  const valid = issues.length === 0;
  return {
    ...result,
    valid,
    verdict: valid ? result.verdict : "invalid",
    issues,
  };
}

function heldReason(heldUntil: string | undefined): string | null {
  return heldUntil === undefined
    ? null
    : `held until ${heldUntil} (05:00 Pakistan time): FBR judges invoiceDate by the UTC day and would refuse it with 0043 before then`;
}

export interface SubmitResult {
  created: boolean;
  row: InvoiceRow;
}

/**
 * Stores the invoice, its outbox row and an audit entry in ONE transaction (STYLE principle 8). A known
 * externalRef with the same content returns the stored invoice and queues nothing; with other content, 409.
 */
export async function submitInvoice(
  db: Kysely<Database>,
  committer: GroupCommitter,
  tenant: TenantRow,
  prepared: PreparedInvoice,
  actor: string,
  /** Injected clock for tests; the real time otherwise. */
  clock: () => Date = () => new Date(),
): Promise<SubmitResult> {
  if (prepared.replayChecked !== true) {
    const existing = await findByExternalRef(db, tenant.id, prepared.externalRef);
    if (existing !== undefined) return replayOrConflict(existing, prepared);
  }

  const id = newId("inv");
  const instant = clock();
  const now = instant.toISOString();
  // FBR judges invoiceDate by the UTC day: an invoice dated today before 05:00 PKT would draw 0043, so
  // its outbox row is due at 05:00 PKT instead of now (spec/README.md, "Field fidelity").
  const heldUntil = fbrPostNotBefore(String(prepared.invoice.invoiceDate), instant)?.toISOString();
  // Provisional: the tenant row is read again inside the transaction (submissionBatch), since `tenant` is
  // the snapshot from authentication and the tenant may have been paused or resumed since.
  const state: InvoiceState = tenant.paused_at === null ? "queued" : "paused";
  const inserted: InvoiceRow = {
    id,
    tenant_id: tenant.id,
    channel: "di",
    pos_id: null,
    usin: null,
    external_ref: prepared.externalRef,
    buyer_ntn_cnic: prepared.invoice.buyerNTNCNIC ?? null,
    buyer_name: prepared.invoice.buyerBusinessName ?? null,
    invoice_date: String(prepared.invoice.invoiceDate).slice(0, 10),
    request_hash: prepared.requestHash,
    payload: JSON.stringify(prepared.invoice),
    state,
    fbr_invoice_number: null,
    fbr_dated: null,
    item_numbers: null,
    errors: null,
    last_reason: state === "paused" ? tenant.paused_reason : heldReason(heldUntil),
    attempt_count: 0,
    created_at: now,
    updated_at: now,
  };
  try {
    // Group commit: concurrent submissions share one transaction (and one fsync), written by one insert
    // per table; each answer is sent only after the commit that holds its invoice.
    await committer.runBatched(submissionBatch, { row: inserted, heldUntil, actor }, tenant.id);
  } catch (error) {
    // Two requests with one externalRef raced: the unique index let one win; answer as a replay.
    const winner = await findByExternalRef(db, tenant.id, prepared.externalRef);
    if (winner !== undefined) return replayOrConflict(winner, prepared);
    throw error;
  }
  return { created: true, row: inserted };
}

const tenantPauseState = precompiled((db, slots: { tenantId: string }) =>
  db.selectFrom("tenants").select(["paused_at", "paused_reason"]).where("id", "=", slots.tenantId),
);

interface PendingSubmission {
  /** The row to insert; its state and reason are settled inside the transaction. */
  row: InvoiceRow;
  heldUntil: string | undefined;
  actor: string;
}

/** A new invoice's row with its `invoice.received` audit entry (its state is settled by the group). */
function received({ row, heldUntil, actor }: PendingSubmission) {
  return {
    row,
    audit: {
      actor,
      action: "invoice.received",
      details: {
        externalRef: row.external_ref,
        requestHash: row.request_hash,
        ...(heldUntil !== undefined ? { heldUntil } : {}),
      },
    },
  };
}

/**
 * Writes a group of submissions: the tenants' pause state read once, then one insert each for the invoices,
 * their audit entries and their outbox rows; on PostgreSQL the pause state, the invoices and the outbox rows
 * are one statement (lifecycle.ts insertSubmissions). A paused tenant's invoices wait as `paused`.
 */
const submissionBatch: Batch<PendingSubmission, void> = {
  name: "invoices.submit",
  async write(trx, items) {
    const entries = items.map(received);
    const outboxRows = items.map(({ row, heldUntil }) => ({
      invoiceId: row.id,
      tenantId: row.tenant_id,
      dueAt: heldUntil ?? row.created_at,
    }));
    if (isPostgres(trx)) {
      // One statement: the pause state, the invoices and their outbox rows (lifecycle.ts insertSubmissions).
      for (const { row, heldUntil } of items) row.last_reason = heldReason(heldUntil);
      await insertSubmissions(trx, entries, enqueueOutboxStatement(outboxRows));
      return items.map(() => undefined);
    }
    const byId = new Map<string, { paused_at: string | null; paused_reason: string | null }>();
    // Usually one tenant per group: one compiled query each.
    for (const tenantId of new Set(items.map((item) => item.row.tenant_id))) {
      const [tenant] = await tenantPauseState(trx, { tenantId });
      if (tenant !== undefined) byId.set(tenantId, tenant);
    }
    for (const { row, heldUntil } of items) {
      const current = byId.get(row.tenant_id);
      if (current === undefined) throw new Error(`submit: unknown tenant ${row.tenant_id}`);
      row.state = current.paused_at === null ? "queued" : "paused";
      row.last_reason = row.state === "paused" ? current.paused_reason : heldReason(heldUntil);
    }
    await insertInvoices(trx, entries);
    await enqueueOutboxRows(trx, outboxRows);
    return items.map(() => undefined);
  },
};

/**
 * A known externalRef answers before anything is built or validated: the stored invoice for the same
 * content (a replay), 409 for other content. Undefined when the reference is new (or absent).
 */
export async function findReplay(
  db: Kysely<Database>,
  tenantId: string,
  envelope: Pick<SubmissionEnvelope, "externalRef" | "requestHash">,
): Promise<InvoiceRow | undefined> {
  const existing = await findByExternalRef(db, tenantId, envelope.externalRef);
  return existing === undefined ? undefined : replayOrConflict(existing, envelope).row;
}

function replayOrConflict(
  existing: InvoiceRow,
  prepared: Pick<SubmissionEnvelope, "externalRef" | "requestHash">,
): SubmitResult {
  if (existing.request_hash !== prepared.requestHash) {
    throw new DomainError(
      "idempotency_conflict",
      `externalRef "${prepared.externalRef}" was already used for a different invoice (${existing.id})`,
      { invoiceId: existing.id },
    );
  }
  return { created: false, row: existing };
}

/** Asked by every submission (is this reference known?), so compiled once. */
const invoiceByExternalRef = precompiled((db, slots: { tenantId: string; externalRef: string }) =>
  db
    .selectFrom("invoices")
    .selectAll()
    .where("tenant_id", "=", slots.tenantId)
    .where("external_ref", "=", slots.externalRef)
    .where("channel", "=", "di"),
);

/**
 * The same for many references of one tenant: PostgreSQL's concurrent requests share one. Each reference
 * is looked up on its own (a lateral subquery with the two columns of the (tenant_id, external_ref) unique
 * index, which holds at most one row), and the channel is checked by the caller. As one
 * `external_ref = any(...) and channel = 'di'` filter, a planner without statistics for a fresh or
 * fast-growing table (autovacuum analyses it after a minute or more) took the (tenant_id, channel,
 * invoice_date) index and read every invoice of the tenant on each call: 2.5 ms on average in a 10 s ingest
 * run, growing with the table.
 */
export const invoicesByExternalRefsQuery = (slots: { tenantId: string; externalRefs: string[] }) =>
  sql<InvoiceRow>`select "found".* from unnest(${slots.externalRefs}::text[]) as "wanted"("ref")
    cross join lateral (select * from "invoices"
      where "tenant_id" = ${slots.tenantId} and "external_ref" = "wanted"."ref" limit 1) as "found"`;

const invoicesByExternalRefs = precompiled((db, slots: { tenantId: string; externalRefs: string[] }) => {
  const query = invoicesByExternalRefsQuery(slots);
  return { compile: () => query.compile(db) };
});

/** Keyed by tenant and reference; one query per tenant in the batch (usually one). */
const externalRefBatch = batchPerStore(
  (db) =>
    new ReadBatch<InvoiceRow>(
      async (keys) => {
        const byTenant = new Map<string, string[]>();
        for (const key of keys) {
          const [tenantId, externalRef] = JSON.parse(key) as [string, string];
          const refs = byTenant.get(tenantId);
          if (refs === undefined) byTenant.set(tenantId, [externalRef]);
          else refs.push(externalRef);
        }
        const found = await Promise.all(
          [...byTenant].map(([tenantId, externalRefs]) =>
            invoicesByExternalRefs(db, { tenantId, externalRefs }),
          ),
        );
        // A reference is unique per tenant across channels; only a DI invoice answers a DI submission.
        return found.flat().filter((row) => row.channel === "di");
      },
      (row) => JSON.stringify([row.tenant_id, row.external_ref]),
    ),
);

async function findByExternalRef(
  db: Kysely<Database>,
  tenantId: string,
  externalRef: string | null,
): Promise<InvoiceRow | undefined> {
  if (externalRef === null) return undefined;
  // Every submission asks, so on PostgreSQL the submissions of one turn share the query (it starts after
  // each of them arrived, so it finds every invoice committed before).
  if (!db.isTransaction && isPostgres(db)) {
    return externalRefBatch(db).get(JSON.stringify([tenantId, externalRef]));
  }
  const [row] = await invoiceByExternalRef(db, { tenantId, externalRef });
  return row;
}

/** Every query is scoped to the caller's tenant: another tenant's invoice is simply not found. */
export async function getInvoice(db: Kysely<Database>, tenantId: string, id: string): Promise<InvoiceRow> {
  const row = await db
    .selectFrom("invoices")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (row === undefined) throw notFound("invoice");
  return row;
}

/** Newest first; the cursor is the last id of the previous page (ids are time-ordered and indexed). */
export async function listInvoices(
  db: Kysely<Database>,
  tenantId: string,
  filter: Omit<InvoiceSearch, "q" | "channel" | "posId" | "usin">,
): Promise<{ items: InvoiceListRow[]; nextCursor: string | null }> {
  // IMS sales have their own listing (GET /v1/ims/invoices); this one is the ERP's DI invoices. One query
  // for the API's list and the dashboard's search; the list never shows payloads, so it never reads them.
  return searchInvoices(db, tenantId, { ...filter, payload: false });
}

export async function listAttempts(
  db: Kysely<Database>,
  tenantId: string,
  invoiceId: string,
): Promise<AttemptRow[]> {
  const invoice = await getInvoice(db, tenantId, invoiceId);
  const attempts = await db
    .selectFrom("attempts")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("invoice_id", "=", invoiceId)
    .orderBy("attempt_no")
    .execute();
  return attempts.map((attempt) => ({
    ...attempt,
    request_body: attemptRequestBody(attempt, invoice.payload),
  }));
}

/** Runs a failed (retries exhausted) or paused invoice again. */
export async function retryInvoice(
  db: Kysely<Database>,
  events: GatewayEvents,
  tenant: TenantRow,
  invoiceId: string,
  actor: string,
): Promise<InvoiceRow> {
  const row = await getInvoice(db, tenant.id, invoiceId);
  if (row.state !== "failed" && row.state !== "paused") {
    throw new DomainError(
      "invalid_state",
      `only failed or paused invoices can be retried (this one is ${row.state})`,
    );
  }
  if (tenant.paused_at !== null) {
    throw new DomainError(
      "tenant_paused",
      "FBR refused this seller's token; set a new token (raseed tenant set-token) and the queue resumes by itself",
    );
  }
  // Read back inside the transaction: the answer describes this retry, not what the worker has done since.
  const updated = await db.transaction().execute(async (trx) => {
    // Compare-and-set, so two concurrent retries (or a retry racing a reconcile) cannot both succeed.
    const moved = await changeInvoiceState(trx, {
      event: "retried",
      invoice: row,
      to: "queued",
      set: { attempt_count: 0, last_reason: "retry requested" },
      audit: { actor, action: "invoice.retry" },
    });
    if (!moved) {
      throw new DomainError(
        "invalid_state",
        "the invoice changed state meanwhile; read it again and decide anew",
      );
    }
    await requeueOutbox(trx, invoiceId, tenant.id);
    return getInvoice(trx, tenant.id, invoiceId);
  });
  events.emit("invoice.state_changed", {
    tenantId: tenant.id,
    invoiceId,
    state: "queued",
    previousState: row.state,
  });
  return updated;
}
