// Every statement that touches the outbox table, and every statement the worker runs (its claim batch,
// attempt records and recovery reads), lives in this file (STYLE principle 8, after pg-boss's plans.ts);
// invoice state itself is written only by invoices/lifecycle.ts. An outbox row exists while an invoice still needs to be posted; a leased row is being worked
// on by `lease_owner` until `lease_until`. The one engine switch is the claim: PostgreSQL locks candidate
// rows with FOR UPDATE SKIP LOCKED so concurrent instances never claim the same row; SQLite has one
// writer at a time, so a single UPDATE ... RETURNING is already atomic.
import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import { moveTenantInvoices } from "../invoices/lifecycle.ts";
import { insertRows, precompiled, valuesStatement } from "../store/compiled-query.ts";
import type { StoreEngine } from "../store/database.ts";
import { nowIso } from "../store/ids.ts";
import type {
  AttemptRow,
  Database,
  ImsTerminalRow,
  InvoiceRow,
  InvoiceState,
  TenantRow,
} from "../store/schema.ts";
import { redactBody } from "./dispatch.ts";

type Executor = Kysely<Database> | Transaction<Database>;

export interface ClaimedOutboxRow {
  invoice_id: string;
  tenant_id: string;
}

/** Enqueue inside the caller's transaction, beside the invoice insert. */
export async function enqueueOutbox(
  trx: Executor,
  row: { invoiceId: string; tenantId: string; dueAt?: string },
): Promise<void> {
  await enqueueOutboxRows(trx, [row]);
}

/** Several rows in one insert per 1,000 (a group commit of submissions). */
export async function enqueueOutboxRows(
  trx: Executor,
  rows: readonly { invoiceId: string; tenantId: string; dueAt?: string }[],
): Promise<void> {
  const now = nowIso();
  for (let start = 0; start < rows.length; start += 1_000) {
    await trx
      .insertInto("outbox")
      .values(
        rows.slice(start, start + 1_000).map((row) => ({
          invoice_id: row.invoiceId,
          tenant_id: row.tenantId,
          due_at: row.dueAt ?? now,
          lease_owner: null,
          lease_until: null,
          created_at: now,
        })),
      )
      .execute();
  }
}

/**
 * PostgreSQL: the outbox rows of invoices that the same statement inserts (lifecycle.ts insertSubmissions),
 * one insert from arrays whatever their number, as its text never changes.
 */
export function enqueueOutboxStatement(
  rows: readonly { invoiceId: string; tenantId: string; dueAt: string }[],
): RawBuilder<unknown> {
  return sql`insert into outbox (invoice_id, tenant_id, due_at, lease_owner, lease_until, created_at)
    select invoice_id, tenant_id, due_at, null, null, ${nowIso()}::text
    from unnest(${rows.map((row) => row.invoiceId)}::text[], ${rows.map((row) => row.tenantId)}::text[],
      ${rows.map((row) => row.dueAt)}::text[]) as queued(invoice_id, tenant_id, due_at)`;
}

/**
 * Claims up to `limit` due rows for `owner` until `leaseUntil`. Paused tenants and tenants this process
 * already has at its per-tenant limit are skipped. A tenant is paused for its DI token only: its IMS sales
 * post with their POS terminals' own tokens, so they are still claimed.
 */
export async function claimDueOutbox(
  db: Executor,
  engine: StoreEngine,
  options: ClaimOptions,
): Promise<ClaimedOutboxRow[]> {
  if (options.limit <= 0) return [];
  return (await claimDueOutboxQuery(engine, options).execute(db)).rows;
}

interface ClaimOptions {
  owner: string;
  leaseUntil: string;
  now: string;
  limit: number;
  skipTenants?: readonly string[];
}

/**
 * The claim's statement. It reads the partial index `outbox_ready` (due_at, over unleased rows only: migration
 * 0018) in due order and stops at the limit, so a claim costs the same with 10 or 100,000 invoices queued; the
 * outer UPDATE finds the chosen rows by primary key (test/outbox-claim-plan.test.ts holds both plans, on
 * PostgreSQL with and without the table's statistics).
 *
 * A paused tenant's rows are skipped by a NOT EXISTS on its primary key rather than a join: on PostgreSQL,
 * joined, the planner estimated a few rows for an outbox it had not analysed yet (autovacuum analyses it a
 * minute or more after the first invoices; the bench's and a new installation's first import run before),
 * so it read every due row, joined and sorted them all, and kept the first few: 5.7 ms a claim with ~8,000
 * queued, growing with the queue (issue 11). Two more things keep PostgreSQL on the index whatever its
 * statistics say: the limit is a sub-select, which the planner cannot read, so it plans for a tenth of the
 * rows and favours the plan that yields the first ones soonest; and the locked ids are handed to the outer
 * UPDATE as an array, which it looks up by primary key, where an IN join could hash a scan of the whole table.
 * Rows locked by the inner SELECT can no longer change before the UPDATE, so it needs no second lease test.
 */
export function claimDueOutboxQuery(
  engine: StoreEngine,
  options: ClaimOptions,
): RawBuilder<ClaimedOutboxRow> {
  const skip =
    options.skipTenants !== undefined && options.skipTenants.length > 0
      ? sql`AND o.tenant_id NOT IN (${sql.join(options.skipTenants)})`
      : sql``;
  const due = sql`SELECT o.invoice_id FROM outbox o
      WHERE o.lease_until IS NULL AND o.due_at <= ${options.now} ${skip}
        AND NOT EXISTS (
          SELECT 1 FROM tenants t WHERE t.id = o.tenant_id AND t.paused_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.id = o.invoice_id AND i.channel = 'ims'))
      ORDER BY o.due_at`;
  if (engine === "postgres") {
    return sql<ClaimedOutboxRow>`
      UPDATE outbox SET lease_owner = ${options.owner}, lease_until = ${options.leaseUntil}
      WHERE invoice_id = ANY (ARRAY(
        ${due} LIMIT (SELECT ${options.limit}::int) FOR UPDATE OF o SKIP LOCKED
      ))
      RETURNING invoice_id, tenant_id`;
  }
  return sql<ClaimedOutboxRow>`
    UPDATE outbox SET lease_owner = ${options.owner}, lease_until = ${options.leaseUntil}
    WHERE lease_until IS NULL AND invoice_id IN (${due} LIMIT ${options.limit})
    RETURNING invoice_id, tenant_id`;
}

/**
 * Takes over rows whose lease has run out (their worker died or stalled) so exactly one process
 * recovers each. With `all`, every leased row is taken: used at start-up on SQLite, where one process
 * owns the file, so any lease left behind belongs to a dead process.
 */
export async function claimExpiredLeases(
  db: Kysely<Database>,
  engine: StoreEngine,
  options: {
    owner: string;
    leaseUntil: string;
    now: string;
    all?: boolean;
    limit?: number;
    /** Rows the caller itself has in flight: never recovered from under it. */
    exclude?: readonly string[];
  },
): Promise<ClaimedOutboxRow[]> {
  const expired = options.all === true ? sql`o.lease_until IS NOT NULL` : sql`o.lease_until < ${options.now}`;
  const exclude =
    options.exclude !== undefined && options.exclude.length > 0
      ? sql`AND o.invoice_id NOT IN (${sql.join(options.exclude)})`
      : sql``;
  const lock = engine === "postgres" ? sql`FOR UPDATE OF o SKIP LOCKED` : sql``;
  const result = await sql<ClaimedOutboxRow>`
    UPDATE outbox SET lease_owner = ${options.owner}, lease_until = ${options.leaseUntil}
    WHERE invoice_id IN (
      SELECT o.invoice_id FROM outbox o WHERE ${expired} ${exclude}
      ORDER BY o.lease_until LIMIT ${options.limit ?? 500} ${lock}
    )
    RETURNING invoice_id, tenant_id`.execute(db);
  return result.rows;
}

/** Extends the leases of posts still in flight (heartbeat); a lease already taken over is left alone. */
export async function renewOutboxLeases(
  trx: Executor,
  claims: readonly { invoiceId: string; claimId: string }[],
  leaseUntil: string,
): Promise<void> {
  for (const claim of claims) {
    await trx
      .updateTable("outbox")
      .set({ lease_until: leaseUntil })
      .where("invoice_id", "=", claim.invoiceId)
      .where("lease_owner", "=", claim.claimId)
      .execute();
  }
}

/**
 * Runs `work` under a savepoint of `trx`: if it throws, what it wrote is rolled back and the error rethrown,
 * and the transaction stays usable (PostgreSQL aborts a whole transaction on an error otherwise).
 */
export async function withSavepoint<T>(trx: Transaction<Database>, work: () => Promise<T>): Promise<T> {
  await sql`savepoint raseed_work`.execute(trx);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await sql`rollback to savepoint raseed_work`.execute(trx);
    await sql`release savepoint raseed_work`.execute(trx);
    throw error;
  }
  await sql`release savepoint raseed_work`.execute(trx);
  return result;
}

/** Gives a claimed row back without working on it (e.g. the tenant is at its limit). */
export async function releaseOutboxLease(db: Executor, invoiceId: string, owner: string): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ lease_owner: null, lease_until: null })
    .where("invoice_id", "=", invoiceId)
    .where("lease_owner", "=", owner)
    .execute();
}

/** Done with the row for good (final state, in doubt, failed). Returns false if the lease was lost. */
export async function completeOutbox(trx: Executor, invoiceId: string, owner: string): Promise<boolean> {
  return (await deleteLeasedRow(trx, { invoiceId, owner })).length > 0;
}

/**
 * `completeOutbox` for a group's settlements: one statement for all of them. Answers the invoice ids whose
 * row was still leased under the claim given (the others' leases were lost).
 */
export async function completeOutboxRows(
  trx: Executor,
  rows: readonly { invoiceId: string; owner: string }[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const deleted = await deleteLeasedRows(
    trx,
    rows.map((row) => [row.invoiceId, row.owner]),
  );
  return new Set(deleted.map((row) => row.invoice_id));
}

const deleteLeasedRows = valuesStatement<{ invoice_id: string }>(
  ["invoice_id", "owner"],
  "DELETE FROM outbox WHERE (invoice_id, lease_owner) IN (SELECT invoice_id, owner FROM v) RETURNING invoice_id",
);

// The settlement's statements are compiled once (store/compiled-query.ts): the worker runs them for every
// invoice it drains, and building each with Kysely cost more CPU than running it (issue 11).
const deleteLeasedRow = precompiled((db, slots: { invoiceId: string; owner: string }) =>
  db
    .deleteFrom("outbox")
    .where("invoice_id", "=", slots.invoiceId)
    .where("lease_owner", "=", slots.owner)
    .returning("invoice_id"),
);

/** Back to the queue, due at `dueAt`. Returns false if the lease was lost. */
export async function rescheduleOutbox(
  trx: Executor,
  invoiceId: string,
  owner: string,
  dueAt: string,
): Promise<boolean> {
  return (await rescheduleLeasedRow(trx, { invoiceId, owner, dueAt })).length > 0;
}

const rescheduleLeasedRow = precompiled((db, slots: { invoiceId: string; owner: string; dueAt: string }) =>
  db
    .updateTable("outbox")
    .set({ lease_owner: null, lease_until: null, due_at: slots.dueAt })
    .where("invoice_id", "=", slots.invoiceId)
    .where("lease_owner", "=", slots.owner)
    .returning("invoice_id"),
);

/** FBR refused the tenant's token: hold its queue (rows stay, claims skip the tenant) until it changes. */
export async function pauseTenantOutbox(
  trx: Transaction<Database>,
  tenantId: string,
  reason: string,
  actor = "system",
): Promise<string[]> {
  const now = nowIso();
  await trx
    .updateTable("tenants")
    .set({ paused_at: now, paused_reason: reason, updated_at: now })
    .where("id", "=", tenantId)
    .execute();
  return moveTenantInvoices(trx, tenantId, {
    event: "paused",
    from: ["queued", "retrying"],
    to: "paused",
    reason,
    action: "invoice.paused",
    actor,
  });
}

/** The tenant's token changed: paused invoices become due now. Returns how many resumed. */
export async function resumeTenantOutbox(
  trx: Transaction<Database>,
  tenantId: string,
  actor = "system",
): Promise<number> {
  const now = nowIso();
  await trx
    .updateTable("outbox")
    .set({ due_at: now })
    .where("tenant_id", "=", tenantId)
    .where("lease_owner", "is", null)
    .execute();
  // IMS sales paused by a refused terminal token have no outbox row; `tenant add-pos` resumes those.
  const resumed = await moveTenantInvoices(trx, tenantId, {
    event: "resumed",
    from: ["paused"],
    to: "queued",
    reason: null,
    action: "invoice.resumed",
    actor,
  });
  return resumed.length;
}

/** Puts an invoice back on the queue (explicit retry / resubmit); a no-op if it already has a row. */
export async function requeueOutbox(trx: Executor, invoiceId: string, tenantId: string): Promise<void> {
  const existing = await trx
    .selectFrom("outbox")
    .select("invoice_id")
    .where("invoice_id", "=", invoiceId)
    .executeTakeFirst();
  if (existing === undefined) {
    await enqueueOutbox(trx, { invoiceId, tenantId });
  } else {
    await trx
      .updateTable("outbox")
      .set({ due_at: nowIso() })
      .where("invoice_id", "=", invoiceId)
      .where("lease_owner", "is", null)
      .execute();
  }
}

/** Submission time of the oldest invoice still waiting to be reported (for the metrics gauge). */
export async function oldestOutboxCreatedAt(db: Executor): Promise<string | undefined> {
  const row = await db
    .selectFrom("outbox")
    .select((eb) => eb.fn.min("created_at").as("oldest"))
    .executeTakeFirst();
  return row?.oldest ?? undefined;
}

/** Rows still to be reported: queued, retrying, paused or in flight. */
export async function countOutbox(db: Executor): Promise<number> {
  const row = await db
    .selectFrom("outbox")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** What one claim round needs beside the claimed rows, read in the claim's transaction. */
export interface ClaimBatch {
  invoices: Map<string, InvoiceRow>;
  tenants: Map<string, TenantRow>;
  /** The IMS terminals of the tenants with IMS sales in the batch. */
  terminals: ImsTerminalRow[];
  /** Attempts already recorded per invoice (the next attempt's number is one more). */
  previousAttempts: Map<string, number>;
}

export async function loadClaimBatch(trx: Executor, rows: readonly ClaimedOutboxRow[]): Promise<ClaimBatch> {
  const found = await invoicesWithAttemptCounts(
    trx,
    rows.map((row) => [row.invoice_id]),
  );
  const invoices = new Map<string, InvoiceRow>();
  const previousAttempts = new Map<string, number>();
  for (const { previous_attempts, ...invoice } of found) {
    invoices.set(invoice.id, invoice);
    previousAttempts.set(invoice.id, Number(previous_attempts));
  }
  const tenantIds = [...new Set(rows.map((r) => r.tenant_id))];
  const tenants = await tenantsById(
    trx,
    tenantIds.map((id) => [id]),
  );
  const imsTenants = [
    ...new Set(
      [...invoices.values()].filter((i) => i.channel === "ims" && i.pos_id !== null).map((i) => i.tenant_id),
    ),
  ];
  const terminals =
    imsTenants.length === 0
      ? []
      : await trx.selectFrom("ims_terminals").selectAll().where("tenant_id", "in", imsTenants).execute();
  return {
    invoices,
    tenants: new Map(tenants.map((t) => [t.id, t])),
    terminals,
    previousAttempts,
  };
}

// A claim's reads, one statement each for the whole batch: the invoices with how many attempts each already
// has (the next attempt's number is one more), and their tenants.
const invoicesWithAttemptCounts = valuesStatement<InvoiceRow & { previous_attempts: number | string }>(
  ["id"],
  `SELECT invoices.*, (SELECT count(*) FROM attempts WHERE attempts.invoice_id = invoices.id) AS previous_attempts
   FROM invoices WHERE invoices.id IN (SELECT id FROM v)`,
);

const tenantsById = valuesStatement<TenantRow>(
  ["id"],
  "SELECT * FROM tenants WHERE id IN (SELECT id FROM v)",
);

/**
 * An attempt's request as it is stored: "" when it is the invoice's payload as received (nothing in it to
 * redact, the usual case), else the redacted text. A payload never changes once received, so the attempt
 * needs no copy of it: a copy in every attempt was a page of WAL per post (issue 11). `attemptRequestBody`
 * reads it back.
 */
export function storedRequestBody(payload: string): string {
  const redacted = redactBody(payload) ?? "";
  return redacted === payload ? "" : redacted;
}

/** The request an attempt posted (secrets redacted), with the payload of its invoice. */
export function attemptRequestBody(attempt: Pick<AttemptRow, "request_body">, payload: string): string {
  return attempt.request_body === "" ? payload : attempt.request_body;
}

/** An attempt as started, before anything is sent (its open outcome means "may have been sent"). */
export interface StartedAttempt {
  id: string;
  invoiceId: string;
  tenantId: string;
  attemptNo: number;
  url: string;
  requestBody: string;
}

/** Records a claim round's attempts in a few multi-row inserts compiled once (insertRows). */
export async function insertAttempts(trx: Executor, attempts: readonly StartedAttempt[]): Promise<void> {
  const startedAt = nowIso();
  await insertRows(
    trx,
    "attempts",
    attempts.map((attempt) => ({
      id: attempt.id,
      invoice_id: attempt.invoiceId,
      tenant_id: attempt.tenantId,
      attempt_no: attempt.attemptNo,
      started_at: startedAt,
      finished_at: null,
      outcome: null,
      url: attempt.url,
      request_body: attempt.requestBody,
      http_status: null,
      response_body: null,
      duration_ms: null,
      reason: null,
    })),
  );
}

/**
 * Closes a group's attempts with FBR's answers (or their absence), one statement for all of them; `url`
 * undefined keeps the one recorded at the start.
 */
export async function finishAttempts(
  trx: Executor,
  results: readonly {
    attemptId: string;
    finishedAt: string;
    outcome: string;
    url: string | undefined;
    httpStatus: number | null;
    responseBody: string | null;
    durationMs: number | null;
    reason: string | null;
  }[],
): Promise<void> {
  if (results.length === 0) return;
  await finishAttemptRows(
    trx,
    results.map((r) => [
      r.attemptId,
      r.finishedAt,
      r.outcome,
      r.url ?? null,
      r.httpStatus,
      r.responseBody,
      r.durationMs,
      r.reason,
    ]),
  );
}

const finishAttemptRows = valuesStatement(
  [
    "id",
    "finished_at",
    "outcome",
    "url",
    "http_status:integer",
    "response_body",
    "duration_ms:integer",
    "reason",
  ],
  `UPDATE attempts SET finished_at = v.finished_at, outcome = v.outcome, url = coalesce(v.url, attempts.url),
     http_status = v.http_status, response_body = v.response_body, duration_ms = v.duration_ms, reason = v.reason
   FROM v WHERE attempts.id = v.id`,
);

/** Closes the invoice's unfinished attempts with `outcome` (recovery: in_doubt, or not_sent when proven). */
export async function closeOpenAttempts(
  trx: Executor,
  invoiceId: string,
  finishedAt: string,
  outcome: "in_doubt" | "not_sent",
  reason: string,
): Promise<void> {
  await trx
    .updateTable("attempts")
    .set({ outcome, finished_at: finishedAt, reason })
    .where("invoice_id", "=", invoiceId)
    .where("outcome", "is", null)
    .execute();
}

/** The invoice's attempts recorded and never finished (each may have reached FBR). */
export async function openAttemptIds(trx: Executor, invoiceId: string): Promise<string[]> {
  const open = await trx
    .selectFrom("attempts")
    .select(["id"])
    .where("invoice_id", "=", invoiceId)
    .where("outcome", "is", null)
    .execute();
  return open.map((attempt) => attempt.id);
}

export async function readInvoice(trx: Executor, invoiceId: string): Promise<InvoiceRow | undefined> {
  return trx.selectFrom("invoices").selectAll().where("id", "=", invoiceId).executeTakeFirst();
}

/** The states of several invoices (a group's settlements), in one statement. */
export async function readInvoiceStates(
  trx: Executor,
  invoiceIds: readonly string[],
): Promise<Map<string, InvoiceState>> {
  if (invoiceIds.length === 0) return new Map();
  const rows = await invoiceStatesById(
    trx,
    invoiceIds.map((id) => [id]),
  );
  return new Map(rows.map((row) => [row.id, row.state]));
}

const invoiceStatesById = valuesStatement<{ id: string; state: InvoiceState }>(
  ["id"],
  "SELECT id, state FROM invoices WHERE id IN (SELECT id FROM v)",
);

/** Removes an invoice's row whoever holds its lease (FBR accepted it: nothing is left to post). */
export async function dropOutbox(trx: Executor, invoiceId: string): Promise<void> {
  await trx.deleteFrom("outbox").where("invoice_id", "=", invoiceId).execute();
}

/**
 * Rows leased by a process (all of them, or only expired leases): what a stopped process left in flight,
 * read at start-up before recovery takes them over (records/incidents.ts).
 */
export async function leasedOutboxRows(
  db: Executor,
  options: { allLeases: boolean; now: string },
): Promise<{ tenant_id: string; invoice_id: string; lease_until: string | null }[]> {
  let query = db
    .selectFrom("outbox")
    .select(["tenant_id", "invoice_id", "lease_until"])
    .where("lease_owner", "is not", null);
  if (!options.allLeases) query = query.where("lease_until", "<", options.now);
  return query.orderBy("invoice_id").execute();
}
