// Schema migrations, written once with Kysely's schema builder so both engines get the same tables.
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";

const migrations: Record<string, Migration> = {
  "0001_core": {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("tenants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("ntn", "text", (c) => c.notNull().unique())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("province", "text", (c) => c.notNull())
        .addColumn("address", "text", (c) => c.notNull())
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("fbr_token_enc", "text", (c) => c.notNull())
        .addColumn("paused_at", "text")
        .addColumn("paused_reason", "text")
        .addColumn("audit_seq", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("audit_head_hash", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("label", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("revoked_at", "text")
        .execute();

      await db.schema
        .createTable("invoices")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("external_ref", "text")
        .addColumn("request_hash", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("fbr_invoice_number", "text")
        .addColumn("fbr_dated", "text")
        .addColumn("item_numbers", "text")
        .addColumn("errors", "text")
        .addColumn("last_reason", "text")
        .addColumn("attempt_count", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("invoices_tenant_external_ref", ["tenant_id", "external_ref"])
        .execute();
      // Listing is always per tenant, newest first, optionally by state: ids are time-ordered.
      await db.schema.createIndex("invoices_tenant_id").on("invoices").columns(["tenant_id", "id"]).execute();
      await db.schema
        .createIndex("invoices_tenant_state_id")
        .on("invoices")
        .columns(["tenant_id", "state", "id"])
        .execute();
      await db.schema
        .createIndex("invoices_tenant_created")
        .on("invoices")
        .columns(["tenant_id", "created_at"])
        .execute();

      await db.schema
        .createTable("outbox")
        .addColumn("invoice_id", "text", (c) => c.primaryKey().references("invoices.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("due_at", "text", (c) => c.notNull())
        .addColumn("lease_owner", "text")
        .addColumn("lease_until", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("outbox_due").on("outbox").columns(["due_at"]).execute();
      await db.schema.createIndex("outbox_lease").on("outbox").columns(["lease_until"]).execute();

      await db.schema
        .createTable("attempts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("invoice_id", "text", (c) => c.notNull().references("invoices.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("attempt_no", "integer", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text")
        .addColumn("outcome", "text")
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("request_body", "text", (c) => c.notNull())
        .addColumn("http_status", "integer")
        .addColumn("response_body", "text")
        .addColumn("duration_ms", "integer")
        .addColumn("reason", "text")
        .execute();
      await db.schema.createIndex("attempts_invoice").on("attempts").columns(["invoice_id"]).execute();

      await db.schema
        .createTable("audit")
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("subject", "text")
        .addColumn("details", "text", (c) => c.notNull())
        .addColumn("prev_hash", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("audit_pk", ["tenant_id", "seq"])
        .execute();

      await db.schema
        .createTable("webhooks")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("secret_enc", "text", (c) => c.notNull())
        // Deliveries are derived from the tenant's audit chain: this is the last entry already fanned out.
        .addColumn("cursor_seq", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("disabled_at", "text")
        .execute();

      await db.schema
        .createTable("webhook_deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("webhook_id", "text", (c) => c.notNull().references("webhooks.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("due_at", "text", (c) => c.notNull())
        .addColumn("last_status", "integer")
        .addColumn("last_error", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("webhook_deliveries_due")
        .on("webhook_deliveries")
        .columns(["state", "due_at"])
        .execute();
    },
  },
  "0002_audit_append_only": {
    // The audit log is append-only by construction (the application never updates or deletes it); these
    // triggers make the database refuse it too. Someone with enough rights can still drop them, which is
    // what the hash chain is for: `raseed audit verify` finds the first broken link.
    async up(db: Kysely<unknown>): Promise<void> {
      if (await isPostgres(db)) {
        await sql`CREATE FUNCTION raseed_audit_append_only() RETURNS trigger AS $$
          BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql`.execute(db);
        await sql`CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
          FOR EACH ROW EXECUTE FUNCTION raseed_audit_append_only()`.execute(db);
      } else {
        await sql`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`.execute(db);
        await sql`CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`.execute(db);
      }
    },
  },
  "0003_ims_channel": {
    // The IMS channel rides the same invoices/outbox/attempts tables as DI (one worker, one lifecycle);
    // `channel` tells them apart. Existing rows are DI.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable("invoices")
        .addColumn("channel", "text", (c) => c.notNull().defaultTo("di"))
        .execute();
      await db.schema.alterTable("invoices").addColumn("pos_id", "integer").execute();
      await db.schema.alterTable("invoices").addColumn("usin", "text").execute();
      // USIN is the sale's identity per POSID (FBR-SPEC §11): unique per tenant and POSID. DI rows have
      // NULLs here, which unique indexes never treat as equal on either engine.
      await db.schema
        .createIndex("invoices_tenant_pos_usin")
        .on("invoices")
        .columns(["tenant_id", "pos_id", "usin"])
        .unique()
        .execute();

      await db.schema
        .createTable("ims_terminals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("pos_id", "integer", (c) => c.notNull())
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("ims_token_enc", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("ims_terminals_tenant_pos", ["tenant_id", "pos_id"])
        .execute();
    },
  },
  "0004_certification_runs": {
    // Sandbox certification runs (issue 10): which scenarios were posted for which activity and sector, and
    // each one's outcome. The settings page asks whether every assigned scenario has passed.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("certification_runs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("activity", "text", (c) => c.notNull())
        .addColumn("sector", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("results", "text", (c) => c.notNull())
        .addColumn("passed", "integer", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("certification_runs_tenant")
        .on("certification_runs")
        .columns(["tenant_id", "started_at"])
        .execute();
    },
  },
  "0005_invoice_prints": {
    // How often each invoice was printed as a tax invoice: the first print is the ORIGINAL, every later
    // one a DUPLICATE (issue 9). Kept apart from `invoices` so printing never touches the row whose state
    // the lifecycle owns; each print is also an audit entry.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("invoice_prints")
        .addColumn("invoice_id", "text", (c) => c.primaryKey().references("invoices.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("prints", "integer", (c) => c.notNull())
        .addColumn("first_printed_at", "text", (c) => c.notNull())
        .addColumn("last_printed_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0006_store_probe": {
    // /readyz writes (and deletes) one row here while writes are failing, to learn when they work again
    // (issue 13: a full disk). Empty at rest.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("store_probe")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("filler", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0007_seals_and_keyed_audit": {
    // Tamper evidence that covers the invoices themselves (issue 9): a seal per accepted invoice, and an
    // HMAC beside each audit hash plus the head's HMAC on the tenant (null for entries written before).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("seals")
        .addColumn("invoice_id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("record", "text", (c) => c.notNull())
        .addColumn("signature", "text", (c) => c.notNull())
        .addColumn("key_id", "text", (c) => c.notNull())
        .addColumn("sealed_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.alterTable("audit").addColumn("mac", "text").execute();
      await db.schema.alterTable("tenants").addColumn("audit_head_mac", "text").execute();
    },
  },
  "0008_rate_limit_windows": {
    // Request counts per key and fixed window, shared by every gateway instance on one PostgreSQL
    // (issue 13: in-memory limits multiplied by the number of instances). Old windows are deleted as
    // new ones are counted.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("rate_limit_windows")
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("window", "integer", (c) => c.notNull())
        .addColumn("hits", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("rate_limit_windows_pk", ["key", "window"])
        .execute();
    },
  },
  "0009_cancellations": {
    // Cancellations recorded after a person cancelled the invoice in IRIS (issue 9; STGO 01/2026).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("cancellations")
        .addColumn("invoice_id", "text", (c) => c.primaryKey().references("invoices.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("iris_reference", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("commissioner_approval", "text")
        .addColumn("cancelled_at", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0010_fbr_number_source": {
    // Who gave an accepted invoice its FBR number ("fbr": FBR's own answer; "person": a reconcile, which can
    // be corrected until the invoice is printed or sealed: invoices/reconcile.ts). Existing rows: a
    // reconcile left its mark in last_reason.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("invoices").addColumn("fbr_number_source", "text").execute();
      await sql`UPDATE invoices SET fbr_number_source = 'fbr' WHERE fbr_invoice_number IS NOT NULL`.execute(
        db,
      );
      await sql`UPDATE invoices SET fbr_number_source = 'person'
        WHERE fbr_invoice_number IS NOT NULL AND last_reason = 'reconciled with the FBR number found in IRIS'`.execute(
        db,
      );
    },
  },
  "0011_people": {
    // People who sign in to the dashboard (never API credentials), their server-side sessions, and the
    // columns and indexes the dashboard's search, invoice audit trail and FBR reachability read through.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("users")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        // Stored lower-cased: one person, one address, across every tenant of the installation.
        .addColumn("email", "text", (c) => c.notNull().unique())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("failed_sign_ins", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("locked_until", "text")
        .addColumn("disabled_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("users_tenant").on("users").columns(["tenant_id", "email"]).execute();
      await db.schema
        .createTable("sessions")
        // SHA-256 of the cookie value: a copy of the table does not hand out sessions.
        .addColumn("id_hash", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("tenant_id", "text", (c) => c.notNull())
        .addColumn("csrf_token", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("last_seen_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("sessions_user").on("sessions").columns(["user_id"]).execute();

      // Search by buyer without parsing every payload (issue 8: q= finds buyer NTN/CNIC and name).
      await db.schema.alterTable("invoices").addColumn("buyer_ntn_cnic", "text").execute();
      await db.schema.alterTable("invoices").addColumn("buyer_name", "text").execute();
      if (await isPostgres(db)) {
        await sql`UPDATE invoices SET buyer_ntn_cnic = (payload::json)->>'buyerNTNCNIC',
          buyer_name = (payload::json)->>'buyerBusinessName' WHERE channel = 'di'`.execute(db);
      } else {
        await sql`UPDATE invoices SET buyer_ntn_cnic = json_extract(payload, '$.buyerNTNCNIC'),
          buyer_name = json_extract(payload, '$.buyerBusinessName') WHERE channel = 'di'`.execute(db);
      }
      await db.schema
        .createIndex("invoices_tenant_buyer")
        .on("invoices")
        .columns(["tenant_id", "buyer_ntn_cnic"])
        .execute();
      await db.schema
        .createIndex("invoices_tenant_fbr_number")
        .on("invoices")
        .columns(["tenant_id", "fbr_invoice_number"])
        .execute();
      await db.schema
        .createIndex("audit_tenant_subject")
        .on("audit")
        .columns(["tenant_id", "subject"])
        .execute();
      await db.schema
        .createIndex("attempts_tenant_started")
        .on("attempts")
        .columns(["tenant_id", "started_at"])
        .execute();
    },
  },
  "0012_retention_guards": {
    // Sales Tax Act 1990 s.24: records are kept six years after the end of the tax period (a calendar month
    // for sales tax). The database itself refuses to delete an invoice or an FBR attempt inside that window
    // (records/retention.ts states the rule; the audit log is append-only outright, migration 0002). The
    // tax period is the month Raseed received the invoice, Pakistan time: an invoice dated earlier has an
    // earlier period, so this keeps it at most a month longer than the law asks, never shorter.
    async up(db: Kysely<unknown>): Promise<void> {
      const guarded = [
        { table: "invoices", column: "created_at" },
        { table: "attempts", column: "started_at" },
      ];
      if (await isPostgres(db)) {
        for (const { table, column } of guarded) {
          await sql`CREATE FUNCTION ${sql.raw(`raseed_${table}_retention`)}() RETURNS trigger AS $$
            BEGIN
              IF (OLD.${sql.raw(column)}::timestamptz AT TIME ZONE 'UTC') + interval '5 hours'
                 >= date_trunc('month', (now() AT TIME ZONE 'UTC') + interval '5 hours' - interval '6 years') THEN
                RAISE EXCEPTION ${sql.lit(`retention: ${table} are kept six years after the end of their tax period (Sales Tax Act s.24)`)};
              END IF;
              RETURN OLD;
            END; $$ LANGUAGE plpgsql`.execute(db);
          await sql`CREATE TRIGGER ${sql.raw(`${table}_retention`)} BEFORE DELETE ON ${sql.table(table)}
            FOR EACH ROW EXECUTE FUNCTION ${sql.raw(`raseed_${table}_retention`)}()`.execute(db);
        }
      } else {
        for (const { table, column } of guarded) {
          await sql`CREATE TRIGGER ${sql.raw(`${table}_retention`)} BEFORE DELETE ON ${sql.table(table)}
            WHEN datetime(OLD.${sql.raw(column)}, '+5 hours') >= date('now', '+5 hours', '-6 years', 'start of month')
            BEGIN SELECT RAISE(ABORT, ${sql.lit(`retention: ${table} are kept six years after the end of their tax period (Sales Tax Act s.24)`)}); END`.execute(
            db,
          );
        }
      }
    },
  },
  "0013_ims_authority": {
    // Which revenue authority a tenant's POS terminals report to on the IMS channel: "fbr" (FBR's IMS, the
    // default and every existing tenant) or "pra" (Punjab Revenue Authority's IMS on PRAL's hosts; issue 12,
    // spec/data/ims-authorities.json).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable("tenants")
        .addColumn("ims_authority", "text", (c) => c.notNull().defaultTo("fbr"))
        .execute();
    },
  },
  "0014_tenant_transport": {
    // How a tenant reaches FBR when not straight to PRAL (issue 12): its own relay URL, outbound proxy, client
    // certificate and key, trusted CA, OAuth2 client credentials. One AES-256-GCM ciphertext bound to the
    // tenant (tenants/transport.ts); null means the gateway's global settings.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("tenants").addColumn("transport_enc", "text").execute();
    },
  },
  "0015_incidents": {
    // The incident register (records/incidents.ts). At most one open incident of a kind per tenant: the
    // partial unique index lets several gateway instances record one outage once.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("incidents")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("cause", "text", (c) => c.notNull())
        .addColumn("opened_at", "text", (c) => c.notNull())
        .addColumn("closed_at", "text")
        .addColumn("report_by", "text", (c) => c.notNull())
        .addColumn("invoices_affected", "integer")
        .addColumn("details", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("incidents_tenant_opened")
        .on("incidents")
        .columns(["tenant_id", "opened_at"])
        .execute();
      await sql`CREATE UNIQUE INDEX incidents_one_open ON incidents (tenant_id, kind) WHERE closed_at IS NULL`.execute(
        db,
      );
    },
  },
  "0016_invoice_date": {
    // Lists filter on the invoice's own date (issue 14): DI invoiceDate and the IMS DateTime's day are both
    // Pakistan calendar dates as the seller wrote them, so a plain "YYYY-MM-DD" column compares correctly.
    async up(db) {
      await db.schema.alterTable("invoices").addColumn("invoice_date", "text").execute();
      if (await isPostgres(db)) {
        await sql`UPDATE invoices SET invoice_date = substr((payload::json)->>'invoiceDate', 1, 10)
          WHERE channel = 'di'`.execute(db);
        await sql`UPDATE invoices SET invoice_date = substr((payload::json)->>'DateTime', 1, 10)
          WHERE channel = 'ims'`.execute(db);
      } else {
        await sql`UPDATE invoices SET invoice_date = substr(json_extract(payload, '$.invoiceDate'), 1, 10)
          WHERE channel = 'di'`.execute(db);
        await sql`UPDATE invoices SET invoice_date = substr(json_extract(payload, '$.DateTime'), 1, 10)
          WHERE channel = 'ims'`.execute(db);
      }
      await db.schema
        .createIndex("invoices_tenant_invoice_date")
        .on("invoices")
        .columns(["tenant_id", "channel", "invoice_date"])
        .execute();
    },
  },
  "0017_tenant_disabled": {
    // `raseed tenant disable` (issue 14): the tenant's keys and people are refused; its queue still drains.
    async up(db) {
      await db.schema.alterTable("tenants").addColumn("disabled_at", "text").execute();
    },
  },
  "0018_outbox_partial_indexes": {
    // The claim (outbox-sql.ts claimDueOutboxQuery) wants unleased rows in due order. With one index on due_at and
    // one on lease_until, SQLite searched the lease index for `lease_until IS NULL` (every queued row) and
    // sorted them all for each claim: 10% of the gateway's CPU with a 15,000-invoice queue (issue 11). Partial
    // indexes hold only what each claim reads: unleased rows by due time, leased rows by lease expiry.
    async up(db) {
      await db.schema.dropIndex("outbox_due").execute();
      await db.schema.dropIndex("outbox_lease").execute();
      await db.schema
        .createIndex("outbox_ready")
        .on("outbox")
        .column("due_at")
        .where(sql.ref("lease_until"), "is", null)
        .execute();
      await db.schema
        .createIndex("outbox_leased")
        .on("outbox")
        .column("lease_until")
        .where(sql.ref("lease_until"), "is not", null)
        .execute();
    },
  },
  "0019_rate_limit_windows_unlogged": {
    // PostgreSQL: rate-limit counters need no durability (a crash, or a failover to a standby, only starts
    // the windows again), yet each API-key upsert wrote WAL and waited for its fsync: 0.22 of the 0.39 WAL
    // fsyncs per invoice under ingest (issue 11). An unlogged table writes no WAL, so its commits wait for
    // none. SQLite keeps its counters in memory (shared-rate-limit.ts); there the table is unused.
    async up(db) {
      if (await isPostgres(db)) await sql`ALTER TABLE rate_limit_windows SET UNLOGGED`.execute(db);
    },
  },
};

/** Of our two engines only PostgreSQL has transactional DDL: a way to tell them apart without a query. */
async function isPostgres(db: Kysely<unknown>): Promise<boolean> {
  return db.getExecutor().adapter.supportsTransactionalDdl;
}

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Brings the schema up to date; safe to run on every start and from several processes. */
export async function migrateToLatest(db: Kysely<unknown>, pgSchema?: string): Promise<void> {
  // On PostgreSQL the bookkeeping tables are pinned to our schema: Kysely otherwise looks for them by
  // name across every schema and would find another installation's.
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: "raseed_migrations",
    migrationLockTableName: "raseed_migrations_lock",
    ...(pgSchema !== undefined ? { migrationTableSchema: pgSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error !== undefined || failed !== undefined) {
    const reason = error instanceof Error ? error.message : String(error ?? failed?.migrationName);
    throw new Error(`database migration failed: ${reason}`);
  }
}
