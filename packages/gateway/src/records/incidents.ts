// The incident register (issue 9). A failure that stops reporting must be reported to the Commissioner
// within 24 hours (FBR-SPEC §15, [CONFIRMED]); each incident is kept per tenant with its start, end, the
// invoices it affected and that deadline, and is opened and closed by the gateway itself:
//
//   fbr_unreachable    FBR failed every call for longer than `incidentUnreachableMs` (incident-monitor.ts)
//   token_refused      FBR refused the seller's token (401/403, WSO2 900901...)     (incident-monitor.ts)
//   tamper             `raseed audit verify` found an edited or deleted record      (recordVerifyOutcome)
//   stopped_in_flight  the gateway stopped with posts in flight                     (recordInterruptedWork)
//
// Opening and closing are audited. At most one incident of a kind is open per tenant (a partial unique
// index, migration 0015), so two gateway instances seeing the same outage record it once.
import type { Kysely, Transaction } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import { leasedOutboxRows } from "../outbox/outbox-sql.ts";
import { newId } from "../store/ids.ts";
import type { Database, IncidentRow } from "../store/schema.ts";

export const incidentKinds = ["fbr_unreachable", "token_refused", "tamper", "stopped_in_flight"] as const;
export type IncidentKind = (typeof incidentKinds)[number];

/** FBR-SPEC §15: a failure that stops reporting is reported to the Commissioner within 24 hours. */
export const INCIDENT_REPORT_HOURS = 24;

export const INCIDENT_TITLES: Readonly<Record<IncidentKind, string>> = {
  fbr_unreachable: "FBR unreachable",
  token_refused: "Seller's FBR token refused",
  tamper: "Tampering found in the records",
  stopped_in_flight: "Gateway stopped with invoices in flight",
};

/** Attempt outcomes that mean FBR did not answer (ARCHITECTURE.md's outcome table). */
export const UNREACHABLE_OUTCOMES = ["not_sent", "throttled", "in_doubt"] as const;

export interface IncidentView {
  id: string;
  kind: IncidentKind;
  title: string;
  state: "open" | "closed";
  cause: string;
  openedAt: string;
  closedAt: string | null;
  /** openedAt + 24 hours: when the report to the Commissioner is due. */
  reportBy: string;
  invoicesAffected: number;
  /** Ids of the invoices affected, where the incident names them (tamper, stopped_in_flight). */
  invoiceIds: string[];
}

type Executor = Kysely<Database> | Transaction<Database>;

function reportBy(openedAt: string): string {
  return new Date(Date.parse(openedAt) + INCIDENT_REPORT_HOURS * 3_600_000).toISOString();
}

/**
 * Invoices an outage or refused token touched: those with an attempt of the matching outcome running
 * between the incident's start and end (now, while open). Counted from the attempts table, so nothing in the worker
 * has to keep a tally.
 */
async function affectedByAttempts(db: Executor, row: IncidentRow, until: string): Promise<number> {
  const outcomes: readonly string[] = row.kind === "token_refused" ? ["unauthorised"] : UNREACHABLE_OUTCOMES;
  const result = await db
    .selectFrom("attempts")
    .select((eb) => eb.fn.count<number>("invoice_id").distinct().as("n"))
    .where("tenant_id", "=", row.tenant_id)
    .where("outcome", "in", outcomes)
    // The call that revealed the incident started just before it opened and settled after.
    .where((eb) => eb.or([eb("started_at", ">=", row.opened_at), eb("finished_at", ">=", row.opened_at)]))
    .where("started_at", "<=", until)
    .executeTakeFirst();
  return Number(result?.n ?? 0);
}

async function toView(db: Executor, row: IncidentRow, now: Date): Promise<IncidentView> {
  const details = JSON.parse(row.details) as { invoiceIds?: string[] };
  const kind = row.kind as IncidentKind;
  const invoicesAffected =
    row.invoices_affected !== null
      ? Number(row.invoices_affected)
      : await affectedByAttempts(db, row, row.closed_at ?? now.toISOString());
  return {
    id: row.id,
    kind,
    title: INCIDENT_TITLES[kind] ?? row.kind,
    state: row.closed_at === null ? "open" : "closed",
    cause: row.cause,
    openedAt: row.opened_at,
    closedAt: row.closed_at,
    reportBy: row.report_by,
    invoicesAffected,
    invoiceIds: details.invoiceIds ?? [],
  };
}

export interface OpenIncident {
  tenantId: string;
  kind: IncidentKind;
  cause: string;
  /** When the failure began (may be before it was noticed: the first failed call of an outage). */
  openedAt: Date;
  /** For kinds that name their invoices; the others count attempts (affectedByAttempts). */
  invoiceIds?: string[];
  actor: string;
}

/** Opens an incident unless one of the kind is open for the tenant already; returns the open one. */
export async function openIncident(db: Kysely<Database>, input: OpenIncident): Promise<IncidentRow> {
  const open = await findOpenIncident(db, input.tenantId, input.kind);
  if (open !== undefined) return open;
  const openedAt = input.openedAt.toISOString();
  const row: IncidentRow = {
    id: newId("inc"),
    tenant_id: input.tenantId,
    kind: input.kind,
    cause: input.cause,
    opened_at: openedAt,
    closed_at: null,
    report_by: reportBy(openedAt),
    invoices_affected: input.invoiceIds?.length ?? null,
    details: JSON.stringify({ invoiceIds: input.invoiceIds ?? [] }),
  };
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("incidents").values(row).execute();
      await appendAudit(trx, {
        tenantId: input.tenantId,
        actor: input.actor,
        action: "incident.opened",
        subject: row.id,
        details: { kind: row.kind, cause: row.cause, openedAt, reportBy: row.report_by },
      });
    });
    return row;
  } catch (error) {
    // Another instance opened the same incident first (the partial unique index): that one stands.
    const winner = await findOpenIncident(db, input.tenantId, input.kind);
    if (winner !== undefined) return winner;
    throw error;
  }
}

export async function findOpenIncident(
  db: Executor,
  tenantId: string,
  kind: IncidentKind,
): Promise<IncidentRow | undefined> {
  return db
    .selectFrom("incidents")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", kind)
    .where("closed_at", "is", null)
    .executeTakeFirst();
}

/** Closes the tenant's open incident of this kind, if any: the cause cleared. Returns whether one closed. */
export async function closeIncident(
  db: Kysely<Database>,
  input: { tenantId: string; kind: IncidentKind; closedAt: Date; reason: string; actor: string },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const open = await findOpenIncident(trx, input.tenantId, input.kind);
    if (open === undefined) return false;
    const closedAt = input.closedAt.toISOString();
    const affected = open.invoices_affected ?? (await affectedByAttempts(trx, open, closedAt));
    const result = await trx
      .updateTable("incidents")
      .set({ closed_at: closedAt, invoices_affected: affected })
      .where("id", "=", open.id)
      .where("closed_at", "is", null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await appendAudit(trx, {
      tenantId: input.tenantId,
      actor: input.actor,
      action: "incident.closed",
      subject: open.id,
      details: { kind: open.kind, closedAt, reason: input.reason, invoicesAffected: affected },
    });
    return true;
  });
}

export async function listIncidents(
  db: Kysely<Database>,
  tenantId: string,
  options: { state?: "open" | "closed" | undefined; limit?: number; now?: Date } = {},
): Promise<IncidentView[]> {
  let query = db.selectFrom("incidents").selectAll().where("tenant_id", "=", tenantId);
  if (options.state === "open") query = query.where("closed_at", "is", null);
  if (options.state === "closed") query = query.where("closed_at", "is not", null);
  const rows = await query
    .orderBy("opened_at", "desc")
    .orderBy("id", "desc")
    .limit(options.limit ?? 100)
    .execute();
  const now = options.now ?? new Date();
  return Promise.all(rows.map((row) => toView(db, row, now)));
}

/** One incident of the tenant (undefined for another tenant's id: tenants never see each other's). */
export async function getIncident(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  now = new Date(),
): Promise<IncidentView | undefined> {
  const row = await db
    .selectFrom("incidents")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row === undefined ? undefined : toView(db, row, now);
}

/**
 * Start-up, before the worker recovers leases: posts a stopped process left in flight are an incident of
 * their tenant ("stopped with work in flight"). It began when the oldest of those posts was claimed and
 * ends now, when this process takes over; the invoices are named. On SQLite every lease found at start-up
 * is a dead process's (the file lock proves it); on PostgreSQL only expired ones are.
 */
export async function recordInterruptedWork(
  db: Kysely<Database>,
  options: { allLeases: boolean; now: Date },
): Promise<IncidentView[]> {
  const nowIso = options.now.toISOString();
  const leased = await leasedOutboxRows(db, { allLeases: options.allLeases, now: nowIso });
  const byTenant = new Map<string, string[]>();
  for (const row of leased)
    byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), row.invoice_id]);
  const recorded: IncidentView[] = [];
  for (const [tenantId, invoiceIds] of byTenant) {
    const started = await db
      .selectFrom("attempts")
      .select((eb) => eb.fn.min("started_at").as("first"))
      .where("invoice_id", "in", invoiceIds)
      .where("outcome", "is", null)
      .executeTakeFirst();
    const first = typeof started?.first === "string" ? new Date(started.first) : options.now;
    const row = await openIncident(db, {
      tenantId,
      kind: "stopped_in_flight",
      cause: `the gateway stopped with ${invoiceIds.length} invoice(s) in flight; posts that may have reached FBR are now in_doubt and need a reconcile, the others are queued again`,
      openedAt: first,
      invoiceIds,
      actor: "system",
    });
    await closeIncident(db, {
      tenantId,
      kind: "stopped_in_flight",
      closedAt: options.now,
      reason: "the gateway started again and took over the posts",
      actor: "system",
    });
    const view = await getIncident(db, tenantId, row.id, options.now);
    if (view !== undefined) recorded.push(view);
  }
  return recorded;
}

/**
 * What `raseed audit verify` found, per tenant: tampering opens a "tamper" incident naming the invoices;
 * a clean verification closes an open one (the records were restored, or the finding explained).
 */
export async function recordVerifyOutcome(
  db: Kysely<Database>,
  outcome: { tenantId: string; problems: string[]; invoiceIds: string[] }[],
  options: { now: Date; actor: string },
): Promise<void> {
  for (const tenant of outcome) {
    if (tenant.problems.length === 0) {
      await closeIncident(db, {
        tenantId: tenant.tenantId,
        kind: "tamper",
        closedAt: options.now,
        reason: "audit verify found the records intact",
        actor: options.actor,
      });
      continue;
    }
    const shown = tenant.problems.slice(0, 5).join("; ");
    const more = tenant.problems.length > 5 ? ` (and ${tenant.problems.length - 5} more)` : "";
    await openIncident(db, {
      tenantId: tenant.tenantId,
      kind: "tamper",
      cause: `audit verify: ${shown}${more}`,
      openedAt: options.now,
      invoiceIds: [...new Set(tenant.invoiceIds)],
      actor: options.actor,
    });
  }
}
