// The invoice lifecycle's one owner (ARCHITECTURE.md "Invoice lifecycle: one owner"). This module is the ONLY
// code that writes invoices.state: the worker, the API, admin commands, the dashboard, documents and
// certification all change state through `changeInvoiceState` (or `insertInvoice` / `markSubmitting`), never
// with their own UPDATE. The allowed moves are the table below; docs/architecture.md shows the same table and
// a test keeps the two in step.
import { type Kysely, type RawBuilder, sql, type Transaction, type Updateable } from "kysely";
import { type AuditEntryInput, appendAudit, appendAuditEntries } from "../audit/audit-log.ts";
import { insertRows, precompiled, valuesStatement } from "../store/compiled-query.ts";
import { nowIso } from "../store/ids.ts";
import { prepareOnPostgres } from "../store/pg-named-statements.ts";
import type { Database, InvoiceRow, InvoiceState } from "../store/schema.ts";

/** Why a state changes: each transition in the table is allowed for one named event. */
export type TransitionEvent =
  | "received"
  | "claimed"
  | "settled"
  | "late_answer"
  | "recovered"
  | "paused"
  | "resumed"
  | "reconciled"
  | "retried"
  | "corrected"
  | "cancelled";

export interface Transition {
  event: TransitionEvent;
  /** "new" = the invoice row is being created. */
  from: readonly (InvoiceState | "new")[];
  to: readonly InvoiceState[];
  /** Who causes it and why, for docs/architecture.md. */
  why: string;
}

const notAccepted: readonly InvoiceState[] = [
  "queued",
  "submitting",
  "retrying",
  "paused",
  "in_doubt",
  "failed",
  "rejected",
  "abandoned",
];

/** Every allowed change of invoices.state. Anything else is a bug and throws `IllegalTransitionError`. */
export const INVOICE_TRANSITIONS: readonly Transition[] = [
  {
    event: "received",
    from: ["new"],
    to: ["queued", "paused"],
    why: "an ERP or till submits it (paused while FBR refuses the seller's DI token)",
  },
  {
    event: "claimed",
    from: ["queued", "retrying", "paused"],
    to: ["submitting"],
    why: "a worker claims it under a lease and records an attempt before posting (a paused DI invoice only once the seller is resumed)",
  },
  {
    event: "settled",
    from: ["submitting"],
    to: ["accepted", "rejected", "retrying", "failed", "paused", "in_doubt"],
    why: "FBR's answer under the lease, as the sdk's nextStep decides",
  },
  {
    event: "late_answer",
    from: notAccepted,
    to: ["accepted"],
    why: "FBR accepted a post whose lease was lost meanwhile: its number is the truth whatever the state",
  },
  {
    event: "late_answer",
    from: ["in_doubt"],
    to: ["rejected"],
    why: "FBR rejected a post whose lease was lost, and nobody has decided anything else yet",
  },
  {
    event: "recovered",
    from: ["queued", "retrying", "submitting"],
    to: ["in_doubt"],
    why: "its worker died or stalled past the lease with an attempt open: the request may have reached FBR",
  },
  {
    event: "recovered",
    from: ["submitting"],
    to: ["queued"],
    why: "its worker died or stalled before any attempt was recorded, or (SQLite, same boot) before posting the one recorded: nothing was sent",
  },
  {
    event: "paused",
    from: ["queued", "retrying"],
    to: ["paused"],
    why: "FBR refused the seller's DI token: the seller's queue is held",
  },
  {
    event: "resumed",
    from: ["paused"],
    to: ["queued"],
    why: "the seller's DI token or the POS terminal's IMS token changed",
  },
  {
    event: "reconciled",
    from: ["in_doubt", "failed"],
    to: ["accepted", "queued", "abandoned"],
    why: "a person decides: the FBR number found in IRIS, an explicit resubmission, or abandoning it",
  },
  {
    event: "retried",
    from: ["failed", "paused"],
    to: ["queued"],
    why: "a person runs it again",
  },
  {
    event: "corrected",
    from: ["accepted"],
    to: ["accepted"],
    why: "a person corrects the FBR number they reconciled, until the invoice is printed or sealed",
  },
  {
    event: "cancelled",
    from: ["accepted"],
    to: ["cancelled"],
    why: "a person records a cancellation made in IRIS (within 72 hours of FBR's date, later with the Commissioner's approval)",
  },
];

/** States nothing automatic moves on from. */
export const finalStates: ReadonlySet<InvoiceState> = new Set([
  "accepted",
  "rejected",
  "failed",
  "abandoned",
  "cancelled",
]);
/** States a person has to look at; ?wait returns on these as well as on final ones. */
export const settledStates: ReadonlySet<InvoiceState> = new Set([...finalStates, "in_doubt", "paused"]);

/** A change the table does not allow: a programming error, never a client's. */
export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
  constructor(event: TransitionEvent, from: InvoiceState | "new", to: InvoiceState) {
    super(`invoice lifecycle: ${event} may not move an invoice from ${from} to ${to}`);
  }
}

/** Whether the table allows `event` to move an invoice from `from` to `to`. */
export function isAllowedTransition(
  event: TransitionEvent,
  from: InvoiceState | "new",
  to: InvoiceState,
): boolean {
  return allowedMoves.has(`${event} ${from} ${to}`);
}

/** The table as "event from to" texts: every insert and state change asks (once per invoice of a group). */
const allowedMoves: ReadonlySet<string> = new Set(
  INVOICE_TRANSITIONS.flatMap((t) => t.from.flatMap((from) => t.to.map((to) => `${t.event} ${from} ${to}`))),
);

function assertAllowed(event: TransitionEvent, from: InvoiceState | "new", to: InvoiceState): void {
  if (!isAllowedTransition(event, from, to)) throw new IllegalTransitionError(event, from, to);
}

/** Columns a state change may set beside the state (never the identity, the payload or the state itself). */
export type InvoiceFields = Partial<
  Pick<
    InvoiceRow,
    | "fbr_invoice_number"
    | "fbr_number_source"
    | "fbr_dated"
    | "item_numbers"
    | "errors"
    | "last_reason"
    | "attempt_count"
  >
>;

/** The audit entry written with a change; `from` and `to` are added to its details. */
export interface TransitionAudit {
  actor: string;
  action: string;
  details?: Record<string, unknown>;
}

export interface StateChangeRequest {
  event: TransitionEvent;
  /** The invoice as the caller read it: `state` is the compare in compare-and-set. */
  invoice: Pick<InvoiceRow, "id" | "tenant_id" | "state">;
  to: InvoiceState;
  set?: InvoiceFields;
  /** A state-preserving change (a correction) also compares the FBR number the caller read. */
  fbrNumberWas?: string | null;
  audit: TransitionAudit;
}

/**
 * Moves one invoice from the state the caller saw to `to`, inside the caller's transaction, with its audit
 * entry. Compare-and-set: when the invoice is no longer in `invoice.state` (a worker, a person or another
 * instance moved it first) nothing is written and the answer is false; the caller decides what that means
 * (usually 409 "changed meanwhile"). Throws IllegalTransitionError for a move the table does not allow.
 * @example
 * const moved = await changeInvoiceState(trx, {
 *   event: "retried", invoice: row, to: "queued",
 *   set: { attempt_count: 0, last_reason: "retry requested" },
 *   audit: { actor, action: "invoice.retry" },
 * });
 */
export async function changeInvoiceState(
  trx: Transaction<Database>,
  change: StateChangeRequest,
  /** When given, the audit entry is pushed here and the caller appends it (with others) in `trx`. */
  auditInto?: AuditEntryInput[],
): Promise<boolean> {
  const { invoice, to, event } = change;
  assertAllowed(event, invoice.state, to);
  // As Kysely did: a column given as undefined is left as it is.
  const set = Object.fromEntries(Object.entries(change.set ?? {}).filter(([, value]) => value !== undefined));
  const updated = await stateUpdateFor(Object.keys(set), change.fbrNumberWas)(trx, {
    ...set,
    state: to,
    updated_at: nowIso(),
    id: invoice.id,
    tenant_id: invoice.tenant_id,
    was: invoice.state,
    fbrNumberWas: change.fbrNumberWas ?? null,
  });
  if (updated.length !== 1) return false;
  const entry = {
    tenantId: invoice.tenant_id,
    actor: change.audit.actor,
    action: change.audit.action,
    subject: invoice.id,
    details: { ...change.audit.details, from: invoice.state, to },
  };
  if (auditInto !== undefined) auditInto.push(entry);
  else await appendAudit(trx, entry);
  return true;
}

/** Creates an invoice in its first state (queued or paused) with its audit entry, in the caller's transaction. */
export async function insertInvoice(
  trx: Transaction<Database>,
  row: InvoiceRow,
  audit: TransitionAudit,
): Promise<void> {
  await insertInvoices(trx, [{ row, audit }]);
}

/** Rows per multi-row insert: 22 columns each stays far below SQLite's 32,766 bound parameters. */
const INVOICE_ROWS_PER_INSERT = 500;

/**
 * New invoices in a few multi-row inserts compiled once (insertRows: a group of N in at most log2(N) + 1)
 * and their audit entries likewise (a group commit of many submissions: issue 11); each row is checked
 * against the table as insertInvoice checks one.
 */
export async function insertInvoices(
  trx: Transaction<Database>,
  entries: readonly { row: InvoiceRow; audit: TransitionAudit }[],
): Promise<void> {
  for (const { row } of entries) assertAllowed("received", "new", row.state);
  for (let start = 0; start < entries.length; start += INVOICE_ROWS_PER_INSERT) {
    await insertRows(
      trx,
      "invoices",
      entries.slice(start, start + INVOICE_ROWS_PER_INSERT).map((entry) => entry.row),
    );
  }
  await appendReceived(trx, entries);
}

/** The audit entries of new invoices, each with the state it was stored in. */
function appendReceived(
  trx: Transaction<Database>,
  entries: readonly { row: InvoiceRow; audit: TransitionAudit }[],
): Promise<void> {
  return appendAuditEntries(
    trx,
    entries.map(({ row, audit }) => ({
      tenantId: row.tenant_id,
      actor: audit.actor,
      action: audit.action,
      subject: row.id,
      details: { ...audit.details, state: row.state },
    })),
  );
}

/** The columns a submission sets (InvoiceRow's), with their PostgreSQL types. */
const SUBMISSION_COLUMNS = {
  id: "text",
  tenant_id: "text",
  channel: "text",
  pos_id: "int",
  usin: "text",
  external_ref: "text",
  buyer_ntn_cnic: "text",
  buyer_name: "text",
  invoice_date: "text",
  request_hash: "text",
  payload: "text",
  state: "text",
  fbr_invoice_number: "text",
  fbr_dated: "text",
  item_numbers: "text",
  errors: "text",
  last_reason: "text",
  attempt_count: "int",
  created_at: "text",
  updated_at: "text",
} as const;
type SubmissionColumn = keyof typeof SUBMISSION_COLUMNS;
const submissionColumns = Object.keys(SUBMISSION_COLUMNS) as SubmissionColumn[];

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * A string as pg sends a parameter: a lone UTF-16 surrogate (a client may send one, e.g. `"\ud800"` in a
 * buyer's name) becomes U+FFFD in its UTF-8, where PostgreSQL's json would refuse the `\u` escape
 * JSON.stringify writes for it; so a submission stores what a plain parameter would have stored.
 */
function asPgWouldSend(_key: string, value: unknown): unknown {
  return typeof value === "string" && !(value as unknown as WellFormed).isWellFormed()
    ? (value as unknown as WellFormed).toWellFormed()
    : value;
}

/**
 * PostgreSQL: a group of new submissions in ONE statement whatever its size, with `alongside` (the caller's
 * statement for their outbox rows) run by the same statement (issue 11: each statement is a round trip,
 * whose socket write cost the gateway more CPU than most statements cost PostgreSQL; the group had read its
 * tenants' pause state, then written log2(N) + 1 invoice inserts and an outbox insert). Each invoice is
 * `queued` with its row's `last_reason`, or `paused` with its tenant's reason if the tenant is paused as
 * the statement reads it; the state chosen is written back into its row and checked against the table,
 * then the audit entries are appended as insertInvoices appends them.
 */
export async function insertSubmissions(
  trx: Transaction<Database>,
  entries: readonly { row: InvoiceRow; audit: TransitionAudit }[],
  alongside: RawBuilder<unknown>,
): Promise<void> {
  const chosen = (column: SubmissionColumn) =>
    column === "state"
      ? sql`case when t.paused_at is null then 'queued' else 'paused' end`
      : column === "last_reason"
        ? sql`case when t.paused_at is null then w.last_reason else t.paused_reason end`
        : sql.ref(`w.${column}`);
  // The rows go as one JSON text (serialised natively; as arrays, pg escaped every payload in JavaScript).
  const rows = JSON.stringify(
    entries.map(({ row }) => row),
    asPgWouldSend,
  );
  const query = sql<{ id: string; state: InvoiceState; last_reason: string | null }>`
    with inserted as (
      insert into invoices (${sql.join(submissionColumns.map((column) => sql.ref(column)))})
      select ${sql.join(submissionColumns.map(chosen))}
      from json_to_recordset(${rows}::json) as w(${sql.join(
        submissionColumns.map((column) => sql`${sql.ref(column)} ${sql.raw(SUBMISSION_COLUMNS[column])}`),
      )})
      join tenants t on t.id = w.tenant_id
      returning id, state, last_reason
    ), alongside as (${alongside})
    select id, state, last_reason from inserted`.compile(trx);
  // Every group runs it: a named prepared statement (store/pg-named-statements.ts).
  prepareOnPostgres(query.sql);
  const written = new Map((await trx.executeQuery(query)).rows.map((row) => [row.id, row]));
  for (const { row } of entries) {
    const found = written.get(row.id);
    if (found === undefined) throw new Error(`submit: unknown tenant ${row.tenant_id}`);
    assertAllowed("received", "new", found.state);
    row.state = found.state;
    row.last_reason = found.last_reason;
  }
  await appendReceived(trx, entries);
}

/**
 * A worker's claim: `submitting`, with the attempt count that includes this post. No audit entry: the
 * attempt row written in the same transaction is the record, and the settlement's `fbr.post` entry closes it
 * (an entry per claim would double the audit log and the webhook fan-out for no new fact).
 */
export async function markSubmitting(
  trx: Transaction<Database>,
  invoice: Pick<InvoiceRow, "id" | "tenant_id" | "state">,
  attemptCount: number,
): Promise<boolean> {
  return (await markAllSubmitting(trx, [{ invoice, attemptCount }])).has(invoice.id);
}

/**
 * `markSubmitting` for a claim round's invoices: one compare-and-set update for all of them (the worker claims
 * beside every settlement group, and an update per invoice cost more than the row it changed, issue 11).
 * Answers the ids moved; an invoice no longer in the state its claim read is left as it is.
 */
export async function markAllSubmitting(
  trx: Transaction<Database>,
  claims: readonly { invoice: Pick<InvoiceRow, "id" | "tenant_id" | "state">; attemptCount: number }[],
): Promise<Set<string>> {
  for (const { invoice } of claims) assertAllowed("claimed", invoice.state, "submitting");
  if (claims.length === 0) return new Set();
  const updatedAt = nowIso();
  const moved = await claimUpdate(
    trx,
    claims.map(({ invoice, attemptCount }) => [
      invoice.id,
      invoice.tenant_id,
      invoice.state,
      attemptCount,
      updatedAt,
    ]),
  );
  return new Set(moved.map((row) => row.id));
}

const claimUpdate = valuesStatement<{ id: string }>(
  ["id", "tenant_id", "was", "attempt_count:integer", "updated_at"],
  `UPDATE invoices SET state = 'submitting', attempt_count = v.attempt_count, updated_at = v.updated_at
   FROM v WHERE invoices.id = v.id AND invoices.tenant_id = v.tenant_id AND invoices.state = v.was
   RETURNING invoices.id`,
);

/**
 * Several invoices' state changes in the caller's transaction, each checked against the table and made by
 * compare-and-set as `changeInvoiceState` makes it, with one update per column list for all of them (a group
 * commit's settlements, issue 11). Answers, per change in order, its audit entry when the invoice moved (the
 * caller appends the entries in `trx`), undefined when it was no longer in the state its caller read.
 */
export async function changeInvoiceStates(
  trx: Transaction<Database>,
  changes: readonly StateChangeRequest[],
): Promise<(AuditEntryInput | undefined)[]> {
  for (const { event, invoice, to } of changes) assertAllowed(event, invoice.state, to);
  // A correction also compares the FBR number, and an invoice named twice must be changed in order: one by one.
  const ids = new Set(changes.map(({ invoice }) => invoice.id));
  if (ids.size < changes.length || changes.some((change) => change.fbrNumberWas !== undefined)) {
    const entries: (AuditEntryInput | undefined)[] = [];
    for (const change of changes) {
      const one: AuditEntryInput[] = [];
      entries.push((await changeInvoiceState(trx, change, one)) ? one[0] : undefined);
    }
    return entries;
  }
  const moved = new Set<string>();
  const updatedAt = nowIso();
  const byColumns = new Map<string, { names: string[]; rows: unknown[][] }>();
  for (const change of changes) {
    const { invoice } = change;
    const set = Object.entries(change.set ?? {}).filter(([, value]) => value !== undefined);
    set.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const names = set.map(([name]) => name);
    const key = names.join(",");
    let group = byColumns.get(key);
    if (group === undefined) {
      group = { names, rows: [] };
      byColumns.set(key, group);
    }
    group.rows.push([
      invoice.id,
      invoice.tenant_id,
      invoice.state,
      change.to,
      updatedAt,
      ...set.map(([, v]) => v),
    ]);
  }
  for (const { names, rows } of byColumns.values()) {
    for (const row of await stateChangesFor(names)(trx, rows)) moved.add(row.id);
  }
  return changes.map(({ invoice, to, audit }) =>
    moved.has(invoice.id)
      ? {
          tenantId: invoice.tenant_id,
          actor: audit.actor,
          action: audit.action,
          subject: invoice.id,
          details: { ...audit.details, from: invoice.state, to },
        }
      : undefined,
  );
}

/** `changeInvoiceStates`' update for one column list (InvoiceFields' names, sorted), made once. */
const stateChanges = new Map<string, ReturnType<typeof valuesStatement<{ id: string }>>>();

function stateChangesFor(names: readonly string[]): ReturnType<typeof valuesStatement<{ id: string }>> {
  const key = names.join(",");
  let update = stateChanges.get(key);
  if (update === undefined) {
    for (const name of names)
      if (!FIELD_COLUMNS.has(name))
        throw new Error(`invoice lifecycle: ${name} is not a field a state change sets`);
    update = valuesStatement<{ id: string }>(
      [
        "id",
        "tenant_id",
        "was",
        "state",
        "updated_at",
        ...names.map((name) => (name === "attempt_count" ? `${name}:integer` : name)),
      ],
      `UPDATE invoices SET state = v.state, updated_at = v.updated_at${names.map((name) => `, ${name} = v.${name}`).join("")}
       FROM v WHERE invoices.id = v.id AND invoices.tenant_id = v.tenant_id AND invoices.state = v.was
       RETURNING invoices.id`,
    );
    stateChanges.set(key, update);
  }
  return update;
}

/** InvoiceFields' columns: the only names `changeInvoiceStates` writes into its SQL. */
const FIELD_COLUMNS: ReadonlySet<string> = new Set([
  "fbr_invoice_number",
  "fbr_number_source",
  "fbr_dated",
  "item_numbers",
  "errors",
  "last_reason",
  "attempt_count",
] satisfies (keyof InvoiceFields)[]);

type StateUpdate = (trx: Transaction<Database>, values: Record<string, unknown>) => Promise<{ id: string }[]>;

/**
 * The compare-and-set update of a state change that sets `columns` beside the state, compiled once per
 * column list (store/compiled-query.ts): the worker changes two states per invoice it drains, and building
 * each update with Kysely cost more CPU than running it (issue 11). Answers the ids it updated.
 */
const stateUpdates = new Map<string, StateUpdate>();

function stateUpdateFor(columns: readonly string[], fbrNumberWas: string | null | undefined): StateUpdate {
  const compare = fbrNumberWas === undefined ? "any" : fbrNumberWas === null ? "null" : "equal";
  const key = `${[...columns].sort().join(",")}\n${compare}`;
  let update = stateUpdates.get(key);
  if (update === undefined) {
    const names = [...columns].sort();
    update = precompiled((db, slots: Record<string, unknown>) => {
      const set: Record<string, unknown> = { state: slots.state, updated_at: slots.updated_at };
      for (const name of names) set[name] = slots[name];
      let query = db
        .updateTable("invoices")
        .set(set as Updateable<Database["invoices"]>)
        .where("id", "=", slots.id as string)
        .where("tenant_id", "=", slots.tenant_id as string)
        .where("state", "=", slots.was as InvoiceState);
      if (compare === "null") query = query.where("fbr_invoice_number", "is", null);
      if (compare === "equal") query = query.where("fbr_invoice_number", "=", slots.fbrNumberWas as string);
      return query.returning("id");
    });
    stateUpdates.set(key, update);
  }
  return update;
}

/**
 * Moves every DI invoice of a tenant that is in one of `from` (bulk pause and resume), one compare-and-set
 * and audit entry per invoice (the webhook dispatcher derives its deliveries from these). Returns the ids
 * moved; an invoice a worker claimed meanwhile is neither moved nor audited.
 */
export async function moveTenantInvoices(
  trx: Transaction<Database>,
  tenantId: string,
  move: {
    event: "paused" | "resumed";
    from: InvoiceState[];
    to: InvoiceState;
    reason: string | null;
    action: string;
    actor: string;
    channel?: "di" | "ims";
    posId?: number;
  },
): Promise<string[]> {
  let query = trx
    .selectFrom("invoices")
    .select(["id", "tenant_id", "state"])
    .where("tenant_id", "=", tenantId)
    .where("channel", "=", move.channel ?? "di")
    .where("state", "in", move.from);
  if (move.posId !== undefined) query = query.where("pos_id", "=", move.posId);
  const moved: string[] = [];
  for (const invoice of await query.execute()) {
    const changed = await changeInvoiceState(trx, {
      event: move.event,
      invoice,
      to: move.to,
      set: { last_reason: move.reason },
      audit: { actor: move.actor, action: move.action, details: { reason: move.reason } },
    });
    if (changed) moved.push(invoice.id);
  }
  return moved;
}

/**
 * Whether an accepted invoice's FBR number is fixed for good: once it was printed (a row in invoice_prints,
 * documents/) or sealed (a row in seals, records/), a person's reconcile can no longer be corrected, since
 * the number is on paper or under a signature. Anything new that fixes the number adds its check here.
 */
export async function isFbrNumberFinal(
  trx: Transaction<Database> | Kysely<Database>,
  invoice: Pick<InvoiceRow, "id">,
): Promise<boolean> {
  const printed = await trx
    .selectFrom("invoice_prints")
    .select("invoice_id")
    .where("invoice_id", "=", invoice.id)
    .executeTakeFirst();
  if (printed !== undefined) return true;
  const sealed = await trx
    .selectFrom("seals")
    .select("invoice_id")
    .where("invoice_id", "=", invoice.id)
    .executeTakeFirst();
  return sealed !== undefined;
}
