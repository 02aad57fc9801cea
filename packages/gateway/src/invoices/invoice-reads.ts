// Read-only questions people ask of their invoices (the dashboard's overview, search and detail pages).
// Every query is scoped to one tenant; nothing here changes state.
import { type Kysely, sql } from "kysely";
import type { AttemptRow, AuditRow, Database, InvoiceRow, InvoiceState } from "../store/schema.ts";

type Db = Kysely<Database>;

/** Not (yet) reported to FBR: the sale still owes FBR an accepted invoice (FBR expects one within 24 hours). */
export const unreportedStates: readonly InvoiceState[] = [
  "queued",
  "submitting",
  "retrying",
  "paused",
  "in_doubt",
  "failed",
  "rejected",
];

export async function countInvoicesByState(db: Db, tenantId: string): Promise<Map<InvoiceState, number>> {
  const rows = await db
    .selectFrom("invoices")
    .select(["state", (eb) => eb.fn.countAll<string>().as("n")])
    .where("tenant_id", "=", tenantId)
    .where("channel", "=", "di")
    .groupBy("state")
    .execute();
  return new Map(rows.map((r) => [r.state, Number(r.n)]));
}

export interface HourlyOutcome {
  /** "YYYY-MM-DDTHH" (UTC), the hour the invoice was received. */
  hour: string;
  accepted: number;
  rejected: number;
}

/** Accepted and rejected invoices per hour of receipt since `since` (ISO), oldest hour first; empty hours absent. */
export async function hourlyOutcomes(db: Db, tenantId: string, since: string): Promise<HourlyOutcome[]> {
  const rows = await db
    .selectFrom("invoices")
    .select([
      (eb) => eb.fn<string>("substr", ["created_at", eb.val(1), eb.val(13)]).as("hour"),
      "state",
      (eb) => eb.fn.countAll<string>().as("n"),
    ])
    .where("tenant_id", "=", tenantId)
    .where("channel", "=", "di")
    .where("created_at", ">=", since)
    .where("state", "in", ["accepted", "rejected"])
    .groupBy(["hour", "state"])
    .execute();
  const byHour = new Map<string, HourlyOutcome>();
  for (const row of rows) {
    const entry = byHour.get(row.hour) ?? { hour: row.hour, accepted: 0, rejected: 0 };
    if (row.state === "accepted") entry.accepted += Number(row.n);
    else entry.rejected += Number(row.n);
    byHour.set(row.hour, entry);
  }
  return [...byHour.values()].sort((a, b) => a.hour.localeCompare(b.hour));
}

/** Rejections since `since` looked at for the top-codes table; beyond this the counts are a sample. */
const TOP_CODES_SAMPLE = 5_000;

/** FBR error codes of invoices rejected since `since`, most frequent first. */
export async function topErrorCodes(
  db: Db,
  tenantId: string,
  since: string,
  limit = 5,
): Promise<{ code: string; count: number }[]> {
  const rows = await db
    .selectFrom("invoices")
    .select("errors")
    .where("tenant_id", "=", tenantId)
    .where("channel", "=", "di")
    .where("state", "=", "rejected")
    .where("created_at", ">=", since)
    .orderBy("created_at", "desc")
    .limit(TOP_CODES_SAMPLE)
    .execute();
  const counts = new Map<string, number>();
  for (const row of rows) {
    if (row.errors === null) continue;
    const codes = new Set<string>();
    for (const error of JSON.parse(row.errors) as { code?: unknown }[]) {
      if (typeof error?.code === "string" || typeof error?.code === "number") codes.add(String(error.code));
    }
    for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
    .slice(0, limit);
}

/** The oldest invoice FBR has not accepted yet (and nobody abandoned), if any. */
export async function oldestUnreported(
  db: Db,
  tenantId: string,
): Promise<Pick<InvoiceRow, "id" | "created_at" | "state"> | undefined> {
  return db
    .selectFrom("invoices")
    .select(["id", "created_at", "state"])
    .where("tenant_id", "=", tenantId)
    .where("channel", "=", "di")
    .where("state", "in", [...unreportedStates])
    .orderBy("id", "asc")
    .limit(1)
    .executeTakeFirst();
}

export interface FbrContact {
  at: string;
  outcome: string;
  httpStatus: number | null;
  reason: string | null;
}

/** The tenant's last exchange in which FBR answered, and the last in which it did not (and why). */
export async function lastFbrContacts(
  db: Db,
  tenantId: string,
): Promise<{ lastSuccess?: FbrContact; lastFailure?: FbrContact }> {
  const last = (outcomes: string[]) =>
    db
      .selectFrom("attempts")
      .select(["started_at", "outcome", "http_status", "reason"])
      .where("tenant_id", "=", tenantId)
      .where("outcome", "in", outcomes)
      .orderBy("started_at", "desc")
      .limit(1)
      .executeTakeFirst();
  // FBR answering, even with a rejection, means it is reachable; the others are the ways it was not.
  const [success, failure] = await Promise.all([
    last(["accepted", "rejected"]),
    last(["not_sent", "throttled", "unauthorised", "in_doubt"]),
  ]);
  const view = (row: typeof success): FbrContact | undefined =>
    row === undefined
      ? undefined
      : {
          at: row.started_at,
          outcome: row.outcome ?? "",
          httpStatus: row.http_status === null ? null : Number(row.http_status),
          reason: row.reason,
        };
  const lastSuccess = view(success);
  const lastFailure = view(failure);
  return {
    ...(lastSuccess !== undefined ? { lastSuccess } : {}),
    ...(lastFailure !== undefined ? { lastFailure } : {}),
  };
}

export interface FailingWebhook {
  id: string;
  url: string;
  failed: number;
  retrying: number;
  lastError: string | null;
  lastStatus: number | null;
}

/** Enabled webhooks with deliveries that gave up or are being retried. */
export async function failingWebhooks(db: Db, tenantId: string): Promise<FailingWebhook[]> {
  const rows = await db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhooks as w", "w.id", "d.webhook_id")
    .select(["w.id", "w.url", "d.state", "d.last_error", "d.last_status", "d.updated_at"])
    .where("d.tenant_id", "=", tenantId)
    .where("w.disabled_at", "is", null)
    .where((eb) =>
      eb.or([
        eb("d.state", "=", "failed"),
        eb.and([eb("d.state", "=", "pending"), eb("d.attempts", ">", 0)]),
      ]),
    )
    .orderBy("d.updated_at", "desc")
    .limit(1_000)
    .execute();
  const byHook = new Map<string, FailingWebhook>();
  for (const row of rows) {
    const hook = byHook.get(row.id) ?? {
      id: row.id,
      url: row.url,
      failed: 0,
      retrying: 0,
      lastError: row.last_error,
      lastStatus: row.last_status === null ? null : Number(row.last_status),
    };
    if (row.state === "failed") hook.failed += 1;
    else hook.retrying += 1;
    byHook.set(row.id, hook);
  }
  return [...byHook.values()];
}

export interface InvoiceSearch {
  /** DI invoices (the ERP's) by default; "ims" lists POS sales. */
  channel?: "di" | "ims";
  /** IMS only: the POSID and USIN the sale was rung up with. */
  posId?: number | undefined;
  usin?: string | undefined;
  /** ERP reference, FBR invoice number, buyer NTN/CNIC (dashes ignored) or part of the buyer's name. */
  q?: string | undefined;
  /** Exactly this ERP reference (the API's `externalRef` filter). */
  externalRef?: string | undefined;
  state?: InvoiceState | undefined;
  /** The invoice's own date (Pakistan calendar, YYYY-MM-DD), both ends inclusive. */
  invoiceDateFrom?: string | undefined;
  invoiceDateTo?: string | undefined;
  /** When Raseed stored it: ISO instants, `createdFrom` inclusive, `createdBefore` exclusive. */
  createdFrom?: string | undefined;
  createdBefore?: string | undefined;
  limit: number;
  /** The last id of the previous page (ids are time-ordered). */
  cursor?: string | undefined;
}

/**
 * An invoice as a list shows it: every column but the FBR payload, which only the invoice's own page needs.
 * A 500-row page of 5-line invoices read ~1.3 MB of payload text per request only to drop it, garbage that
 * kept the gateway's old generation growing under list traffic (issue 11 memory).
 */
export type InvoiceListRow = Omit<InvoiceRow, "payload">;

const LIST_COLUMNS = [
  "id",
  "tenant_id",
  "channel",
  "pos_id",
  "usin",
  "external_ref",
  "buyer_ntn_cnic",
  "buyer_name",
  "invoice_date",
  "request_hash",
  "state",
  "fbr_invoice_number",
  "fbr_number_source",
  "fbr_dated",
  "item_numbers",
  "errors",
  "last_reason",
  "attempt_count",
  "created_at",
  "updated_at",
] as const satisfies readonly (keyof InvoiceListRow)[];
// A column added to the invoices table must be listed above (or the list would silently lack it).
const listColumnsComplete: [Exclude<keyof InvoiceListRow, (typeof LIST_COLUMNS)[number]>] extends [never]
  ? true
  : never = true;
void listColumnsComplete;

function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Newest first, keyset-paged on id; never crosses tenants.
 *
 * `q` is answered in two steps so the common searches stay flat at a million invoices (issue 11): an exact
 * ERP reference, FBR number or buyer NTN/CNIC is looked up through its own index (UNION ALL of three index
 * searches: a plain UNION makes SQLite read the tenant's ids in order to merge them, a scan); only when nothing matches exactly is the buyer's name searched for the text, which reads the
 * tenant's invoices newest first until a page is found (a substring cannot use an index).
 */
export async function searchInvoices(
  db: Db,
  tenantId: string,
  search: InvoiceSearch & { payload: false },
): Promise<{ items: InvoiceListRow[]; nextCursor: string | null }>;
export async function searchInvoices(
  db: Db,
  tenantId: string,
  search: InvoiceSearch,
): Promise<{ items: InvoiceRow[]; nextCursor: string | null }>;
export async function searchInvoices(
  db: Db,
  tenantId: string,
  search: InvoiceSearch & { payload?: false },
): Promise<{ items: InvoiceListRow[]; nextCursor: string | null }> {
  let query = db
    .selectFrom("invoices")
    .where("tenant_id", "=", tenantId)
    .where("channel", "=", search.channel ?? "di");
  const q = search.q?.trim();
  if (q !== undefined && q !== "") {
    const digits = q.replace(/[-\s]/g, "");
    const exactIds = db
      .selectFrom("invoices")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("external_ref", "=", q)
      .unionAll(
        db
          .selectFrom("invoices")
          .select("id")
          .where("tenant_id", "=", tenantId)
          .where("fbr_invoice_number", "=", q),
      )
      .unionAll(
        db
          .selectFrom("invoices")
          .select("id")
          .where("tenant_id", "=", tenantId)
          .where("buyer_ntn_cnic", "=", digits),
      );
    const anyExact = await db
      .selectFrom("invoices")
      .select("id")
      .where("channel", "=", "di")
      .where("id", "in", exactIds)
      .limit(1)
      .executeTakeFirst();
    query =
      anyExact !== undefined
        ? query.where("id", "in", exactIds)
        : // ESCAPE named explicitly: PostgreSQL assumes backslash, SQLite has no default.
          query.where(sql<boolean>`lower(buyer_name) like ${likePattern(q)} escape '\\'`);
  }
  if (search.externalRef !== undefined) query = query.where("external_ref", "=", search.externalRef);
  if (search.state !== undefined) query = query.where("state", "=", search.state);
  if (search.posId !== undefined) query = query.where("pos_id", "=", search.posId);
  if (search.usin !== undefined) query = query.where("usin", "=", search.usin);
  if (search.invoiceDateFrom !== undefined) query = query.where("invoice_date", ">=", search.invoiceDateFrom);
  if (search.invoiceDateTo !== undefined) query = query.where("invoice_date", "<=", search.invoiceDateTo);
  if (search.createdFrom !== undefined) query = query.where("created_at", ">=", search.createdFrom);
  if (search.createdBefore !== undefined) query = query.where("created_at", "<", search.createdBefore);
  if (search.cursor !== undefined) query = query.where("id", "<", search.cursor);
  const page = query.orderBy("id", "desc").limit(search.limit + 1);
  const rows: InvoiceListRow[] =
    search.payload === false ? await page.select(LIST_COLUMNS).execute() : await page.selectAll().execute();
  const items = rows.slice(0, search.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > search.limit && last !== undefined ? last.id : null };
}

/**
 * Who did what to one subject (an invoice, a person, a key), or to anything of the tenant when `subject` is
 * undefined: the latest `limit` entries, oldest first.
 */
export async function auditTrail(
  db: Db,
  tenantId: string,
  subject: string | undefined,
  limit = 500,
): Promise<AuditRow[]> {
  let query = db.selectFrom("audit").selectAll().where("tenant_id", "=", tenantId);
  if (subject !== undefined) query = query.where("subject", "=", subject);
  const latest = await query.orderBy("seq", "desc").limit(limit).execute();
  return latest.reverse();
}

export type { AttemptRow };
