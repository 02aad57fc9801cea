// Webhooks: per-tenant URLs told about every invoice state change. Deliveries are derived from the
// tenant's audit chain (each webhook keeps a cursor into it), so a state change committed by any process
// is delivered even if that process dies right after: the chain is the durable event log.
// Each delivery is signed: `Raseed-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
import { createHmac, randomBytes } from "node:crypto";
import { verifyWebhookSignature as verifySignedDelivery } from "@raseed/sdk";
import type { Kysely } from "kysely";
import { Agent, fetch as undiciFetch } from "undici";
import { appendAudit } from "../audit/audit-log.ts";
import { DomainError, notFound } from "../errors.ts";
import type { GatewayEvents } from "../events.ts";
import { newId, nowIso } from "../store/ids.ts";
import type { Database } from "../store/schema.ts";
import { decryptSecret, encryptSecret } from "../tenants/secret-box.ts";
import { assertWebhookUrlAllowed, type ResolveHost, vetWebhookUrl, WebhookUrlRefused } from "./url-guard.ts";

const STATE_ACTIONS = [
  "invoice.received",
  "fbr.post",
  "invoice.recovered",
  "invoice.retry",
  "invoice.reconciled.fbr_number",
  "invoice.reconciled.resubmit",
  "invoice.reconciled.abandon",
  // Bulk pause/resume of a tenant's queue (one entry per invoice, outbox/outbox-sql.ts).
  "invoice.paused",
  "invoice.resumed",
];
export const WEBHOOK_MAX_ATTEMPTS = 8;

function webhookMac(secret: string, timestamp: number, body: string): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest();
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${webhookMac(secret, timestamp, body).toString("hex")}`;
}

/**
 * For receivers (and tests): checks the signature and that the timestamp is recent, in constant time. The one
 * implementation is the sdk's (what integrators call through RaseedGateway.webhooks.verifySignature).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  toleranceSeconds = 300,
  nowMs = Date.now(),
): boolean {
  return verifySignedDelivery(body, header, secret, { toleranceSeconds, now: () => nowMs });
}

export async function createWebhook(
  db: Kysely<Database>,
  masterKey: Buffer,
  tenantId: string,
  url: string,
  actor: string,
  options: { allowPrivateNetworks?: boolean } = {},
): Promise<{ id: string; url: string; secret: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DomainError("bad_request", "url must be an absolute http(s) URL");
  }
  try {
    await assertWebhookUrlAllowed(parsed, { allowPrivateNetworks: options.allowPrivateNetworks === true });
  } catch (error) {
    if (error instanceof WebhookUrlRefused) throw new DomainError("webhook_url_refused", error.message);
    throw error;
  }
  const id = newId("whk");
  const secret = `whsec_${randomBytes(24).toString("base64url")}`;
  await db.transaction().execute(async (trx) => {
    // Start after the current head: a new webhook hears about changes from now on.
    const tenant = await trx
      .selectFrom("tenants")
      .select("audit_seq")
      .where("id", "=", tenantId)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto("webhooks")
      .values({
        id,
        tenant_id: tenantId,
        url,
        secret_enc: encryptSecret(masterKey, secret, id),
        cursor_seq: Number(tenant.audit_seq) + 1,
        created_at: nowIso(),
        disabled_at: null,
      })
      .execute();
    await appendAudit(trx, { tenantId, actor, action: "webhook.created", subject: id, details: { url } });
  });
  return { id, url, secret };
}

export async function listWebhooks(db: Kysely<Database>, tenantId: string) {
  const rows = await db
    .selectFrom("webhooks")
    .select(["id", "url", "created_at", "disabled_at"])
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ id: r.id, url: r.url, createdAt: r.created_at, disabledAt: r.disabled_at }));
}

export async function disableWebhook(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  actor: string,
): Promise<void> {
  const row = await db
    .selectFrom("webhooks")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (row === undefined) throw notFound("webhook");
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("webhooks").set({ disabled_at: nowIso() }).where("id", "=", id).execute();
    await appendAudit(trx, { tenantId, actor, action: "webhook.disabled", subject: id });
  });
}

export async function listDeliveries(db: Kysely<Database>, tenantId: string, webhookId: string, limit = 100) {
  const hook = await db
    .selectFrom("webhooks")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", webhookId)
    .executeTakeFirst();
  if (hook === undefined) throw notFound("webhook");
  const rows = await db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("webhook_id", "=", webhookId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    event: r.event,
    state: r.state,
    attempts: Number(r.attempts),
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error,
    body: JSON.parse(r.body) as unknown,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export interface WebhookDispatcherOptions {
  pollIntervalMs: number;
  timeoutMs: number;
  /** Base of the exponential backoff between tries. */
  retryBaseMs: number;
  /** Deliver to loopback/private addresses and plain http too (config webhookAllowPrivateNetworks). */
  allowPrivateNetworks?: boolean;
  /** DNS for webhook hosts (tests inject one); resolved once per delivery and pinned for its connection. */
  resolve?: ResolveHost;
}

/** Background loop: fans audit entries out into deliveries, then sends due deliveries. Never throws. */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly masterKey: Buffer,
    private readonly events: GatewayEvents,
    private readonly options: WebhookDispatcherOptions,
  ) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.busy;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.busy = this.round()
        .catch((error: unknown) => {
          this.events.emit("worker.problem", { message: "webhook round failed", error });
        })
        .finally(() => this.schedule(this.options.pollIntervalMs));
    }, ms);
  }

  async round(): Promise<void> {
    await this.fanOut();
    await this.sendDue();
  }

  private async fanOut(): Promise<void> {
    const hooks = await this.db.selectFrom("webhooks").selectAll().where("disabled_at", "is", null).execute();
    for (const hook of hooks) {
      const cursor = Number(hook.cursor_seq);
      const entries = await this.db
        .selectFrom("audit")
        .selectAll()
        .where("tenant_id", "=", hook.tenant_id)
        .where("seq", ">=", cursor)
        .orderBy("seq")
        .limit(200)
        .execute();
      if (entries.length === 0) continue;
      const last = Number(entries.at(-1)?.seq ?? cursor);
      await this.db.transaction().execute(async (trx) => {
        // Compare-and-set on the cursor: when several instances run, only one fans out each entry.
        const moved = await trx
          .updateTable("webhooks")
          .set({ cursor_seq: last + 1 })
          .where("id", "=", hook.id)
          .where("cursor_seq", "=", cursor)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) return;
        const now = nowIso();
        for (const entry of entries) {
          if (!STATE_ACTIONS.includes(entry.action)) continue;
          const details = JSON.parse(entry.details) as {
            from?: string;
            to?: string;
            state?: string;
            fbrInvoiceNumber?: string | null;
          };
          const state = details.to ?? details.state;
          if (state === undefined || state === details.from) continue;
          const body = JSON.stringify({
            type: "invoice.state_changed",
            invoiceId: entry.subject,
            state,
            previousState: details.from ?? null,
            fbrInvoiceNumber: details.fbrInvoiceNumber ?? null,
            at: entry.at,
            sequence: Number(entry.seq),
          });
          await trx
            .insertInto("webhook_deliveries")
            .values({
              id: newId("dlv"),
              webhook_id: hook.id,
              tenant_id: hook.tenant_id,
              event: "invoice.state_changed",
              body,
              state: "pending",
              attempts: 0,
              due_at: now,
              last_status: null,
              last_error: null,
              created_at: now,
              updated_at: now,
            })
            .execute();
        }
      });
    }
  }

  private async sendDue(): Promise<void> {
    const due = await this.db
      .selectFrom("webhook_deliveries")
      .innerJoin("webhooks", "webhooks.id", "webhook_deliveries.webhook_id")
      .select([
        "webhook_deliveries.id as id",
        "webhook_deliveries.attempts as attempts",
        "webhook_deliveries.body as body",
        "webhook_deliveries.event as event",
        "webhook_deliveries.tenant_id as tenant_id",
        "webhooks.id as webhook_id",
        "webhooks.url as url",
        "webhooks.secret_enc as secret_enc",
      ])
      .where("webhook_deliveries.state", "=", "pending")
      .where("webhook_deliveries.due_at", "<=", nowIso())
      .orderBy("webhook_deliveries.id")
      .limit(50)
      .execute();
    await Promise.all(
      due.map(async (delivery) => {
        const attempts = Number(delivery.attempts);
        // Claim by moving due_at forward; another instance sees it as not due.
        const claimed = await this.db
          .updateTable("webhook_deliveries")
          .set({ due_at: new Date(Date.now() + this.options.timeoutMs * 2).toISOString() })
          .where("id", "=", delivery.id)
          .where("attempts", "=", attempts)
          .where("state", "=", "pending")
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 0) return;
        const secret = decryptSecret(this.masterKey, delivery.secret_enc, delivery.webhook_id);
        const timestamp = Math.floor(Date.now() / 1000);
        let status: number | null = null;
        let error: string | null = null;
        let agent: Agent | undefined;
        try {
          // Checked again at each delivery: the host's DNS may have changed since registration. The
          // connection goes to the addresses just checked (no second resolution, so no rebinding window).
          const allowPrivate = this.options.allowPrivateNetworks === true;
          const target = await vetWebhookUrl(new URL(delivery.url), {
            allowPrivateNetworks: allowPrivate,
            ...(this.options.resolve !== undefined ? { resolve: this.options.resolve } : {}),
          });
          agent = new Agent({ connect: { lookup: target.lookup } });
          const response = await undiciFetch(delivery.url, {
            dispatcher: agent,
            // A redirect could point anywhere (an internal address): it counts as a failed delivery.
            ...(allowPrivate ? {} : { redirect: "manual" as const }),
            method: "POST",
            headers: {
              "content-type": "application/json",
              "raseed-event": delivery.event,
              "raseed-delivery": delivery.id,
              "raseed-signature": signWebhook(secret, timestamp, delivery.body),
            },
            body: delivery.body,
            signal: AbortSignal.timeout(this.options.timeoutMs),
          });
          status = response.status;
          await response.body?.cancel();
          if (!response.ok) error = `HTTP ${response.status}`;
        } catch (e) {
          error = (e as Error).message;
        } finally {
          await agent?.destroy();
        }
        const tries = attempts + 1;
        const state = error === null ? "delivered" : tries >= WEBHOOK_MAX_ATTEMPTS ? "failed" : "pending";
        const backoff = Math.min(this.options.retryBaseMs * 2 ** attempts, 3_600_000);
        await this.db
          .updateTable("webhook_deliveries")
          .set({
            state,
            attempts: tries,
            last_status: status,
            last_error: error,
            due_at: new Date(Date.now() + backoff).toISOString(),
            updated_at: nowIso(),
          })
          .where("id", "=", delivery.id)
          .execute();
        if (error === null) {
          this.events.emit("webhook.delivered", {
            tenantId: delivery.tenant_id,
            webhookId: delivery.webhook_id,
            deliveryId: delivery.id,
          });
        } else {
          this.events.emit("webhook.failed", {
            tenantId: delivery.tenant_id,
            webhookId: delivery.webhook_id,
            ...(status !== null ? { status } : {}),
            error,
          });
        }
      }),
    );
  }
}
