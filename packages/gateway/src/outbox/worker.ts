// The submission worker: claims due outbox rows under a lease, records the attempt BEFORE posting, posts
// with the sdk's DiClient (no client-side retries: the outbox is the retry mechanism) and settles the
// invoice by the outcome kind from the classification table in ARCHITECTURE.md. The loop never throws:
// every failure becomes a "worker.problem" event and the loop carries on.
import {
  DiClient,
  FBR_GATEWAY_URL,
  IMS_PATHS,
  IMS_SANDBOX_URL,
  ImsClient,
  type ImsInvoice,
  type NextStep,
  nextStep,
  nextStepAfterCrash,
  type PostOutcome,
  redactSecrets,
} from "@raseed/sdk";
import type { Transaction } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import type { GatewayEvents, InvoiceStateChange } from "../events.ts";
import { changeInvoiceState, type InvoiceFields, markSubmitting } from "../invoices/lifecycle.ts";
import type { Store } from "../store/database.ts";
import { GroupCommitter } from "../store/group-commit.ts";
import { newId, nowIso } from "../store/ids.ts";
import type { Database, ImsTerminalRow, InvoiceRow, InvoiceState, TenantRow } from "../store/schema.ts";
import { imsTerminalToken } from "../tenants/ims-terminals.ts";
import { tenantFbrToken } from "../tenants/tenants.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import {
  type ClaimedOutboxRow,
  claimDueOutbox,
  claimExpiredLeases,
  completeOutbox,
  pauseTenantOutbox,
  releaseOutboxLease,
  renewOutboxLeases,
  rescheduleOutbox,
} from "./outbox-sql.ts";

export interface OutboxWorkerOptions {
  fbrUrl: string;
  workerConcurrency: number;
  tenantConcurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  fbrTimeoutMs: number;
  maxAttempts: number;
  maxRetryDelayMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
}

export interface OutboxWorkerDeps {
  store: Store;
  masterKey: Buffer;
  events: GatewayEvents;
  options: OutboxWorkerOptions;
  /** Transport for FBR calls; tests may wrap it (e.g. to add simulator fault headers). */
  fetch?: typeof fetch;
  /** Unique per process; claims and leases are recorded under it. */
  instanceId?: string;
  /** Shared with the API so submissions and settlements ride the same commits. */
  committer?: GroupCommitter;
}

interface Settlement {
  invoice: InvoiceRow;
  tenant: TenantRow;
  /** The lease this settlement is made under; another claim id on the row means the lease was lost. */
  claimId: string;
  attemptId: string | null;
  outcome: PostOutcome;
  step: NextStep;
}

interface PreparedAttempt {
  invoice: InvoiceRow;
  tenant: TenantRow;
  claimId: string;
  attemptId: string;
  /** IMS sales post with their POS terminal's token and environment. */
  terminal?: ImsTerminalRow;
}

/**
 * Where FBR's IMS PostData lives for an environment. The configured fbrUrl replaces FBR's hosts (the
 * simulator serves both IMS paths); left at FBR's default, the sandbox is IMS's own host (FBR-SPEC §11).
 */
function imsOrigin(fbrUrl: string): string | undefined {
  const trimmed = fbrUrl.replace(/\/$/, "");
  return trimmed === FBR_GATEWAY_URL ? undefined : trimmed;
}

function imsPostDataUrl(fbrUrl: string, environment: "sandbox" | "production"): string {
  const origin = imsOrigin(fbrUrl) ?? (environment === "sandbox" ? IMS_SANDBOX_URL : FBR_GATEWAY_URL);
  return `${origin}${IMS_PATHS[environment]}`;
}

const workableStates: ReadonlySet<InvoiceState> = new Set(["queued", "retrying", "submitting"]);
const RECOVERY_INTERVAL_MS = 1_000;
const MAX_STORED_BODY = 64 * 1024;

/** Bodies are kept for the attempts log with secrets redacted by the sdk's one list. */
function redactBody(text: string | undefined): string | null {
  if (text === undefined) return null;
  try {
    return JSON.stringify(redactSecrets(JSON.parse(text) as unknown)).slice(0, MAX_STORED_BODY);
  } catch {
    return text.slice(0, MAX_STORED_BODY);
  }
}

export class OutboxWorker {
  readonly instanceId: string;
  readonly breaker: CircuitBreaker;
  private readonly inflight = new Map<string, Promise<void>>();
  /** Invoice id → the claim id its outbox lease is held under, while its post is in flight. */
  private readonly inflightClaims = new Map<string, string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly inflightByTenant = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  private tickRequested = false;
  private lastRecoveryAt = 0;
  private currentTick: Promise<void> = Promise.resolve();
  private readonly committer: GroupCommitter;

  constructor(private readonly deps: OutboxWorkerDeps) {
    this.instanceId = deps.instanceId ?? newId("wrk");
    this.committer = deps.committer ?? new GroupCommitter(deps.store.db);
    this.breaker = new CircuitBreaker(
      deps.options.breakerThreshold,
      deps.options.breakerCooldownMs,
      (state) => deps.events.emit("breaker.changed", { state }),
    );
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  /**
   * Starts the loop. `recoverAllLeases` (SQLite, one process per file) treats every lease left in the
   * store as belonging to a dead process; on PostgreSQL other instances may be alive, so only expired
   * leases are recovered.
   */
  async start(options: { recoverAllLeases?: boolean } = {}): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.recoverLeases(options.recoverAllLeases === true);
    this.startHeartbeat();
    this.kick();
  }

  /**
   * A lease is renewed while its post is in flight, so a slow but live post never looks abandoned to
   * recovery (here or in another instance); only a dead or stalled process lets its leases run out.
   */
  private startHeartbeat(): void {
    const every = Math.max(50, Math.floor(this.deps.options.leaseMs / 3));
    this.heartbeat = setInterval(() => void this.renewLeases(), every);
    this.heartbeat.unref();
  }

  private async renewLeases(): Promise<void> {
    if (this.inflightClaims.size === 0) return;
    const claims = [...this.inflightClaims.entries()].map(([invoiceId, claimId]) => ({ invoiceId, claimId }));
    const leaseUntil = new Date(Date.now() + this.deps.options.leaseMs).toISOString();
    try {
      await this.committer.run((trx) => renewOutboxLeases(trx, claims, leaseUntil));
    } catch (error) {
      this.problem("lease renewal failed", error);
    }
  }

  /** Asks for a claim round soon (after a submission or a finished attempt). */
  kick(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.tickRequested = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runTick(), 0);
  }

  private runTick(): void {
    this.currentTick = this.tick();
  }

  /**
   * Stops claiming and waits up to `deadlineMs` for attempts in flight. Attempts still running at the
   * deadline keep their lease and attempt record; the next start recovers them (as in_doubt, since their
   * request may have been written).
   */
  async stop(deadlineMs: number): Promise<{ drained: boolean; unfinished: number }> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // A claim round in progress may still launch attempts it has recorded: let it, then wait for them.
    await this.currentTick;
    if (this.inflight.size === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      return { drained: true, unfinished: 0 };
    }
    let timeout: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timeout = setTimeout(() => resolve("deadline"), deadlineMs);
    });
    const result = await Promise.race([Promise.allSettled([...this.inflight.values()]), deadline]);
    if (timeout !== undefined) clearTimeout(timeout);
    // Attempts still running past the deadline stop being renewed: their leases run out and recovery
    // (the next start, or another instance) settles them.
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    return { drained: result !== "deadline", unfinished: this.inflight.size };
  }

  private problem(message: string, error?: unknown, invoiceId?: string): void {
    this.deps.events.emit("worker.problem", {
      message,
      ...(error !== undefined ? { error } : {}),
      ...(invoiceId !== undefined ? { invoiceId } : {}),
    });
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.running || this.ticking) return;
    this.ticking = true;
    let claimedFullBatch = false;
    try {
      if (Date.now() - this.lastRecoveryAt >= RECOVERY_INTERVAL_MS) await this.recoverLeases(false);
      const { options } = this.deps;
      const free = Math.min(options.workerConcurrency - this.inflight.size, this.breaker.permits());
      if (free > 0) {
        const { attempts, claimed } = await this.claimAndRecord(free);
        claimedFullBatch = claimed === free;
        for (const attempt of attempts) this.launch(attempt);
      }
    } catch (error) {
      this.problem("claim round failed", error);
    } finally {
      this.ticking = false;
    }
    if (!this.running) return;
    const again = this.tickRequested || claimedFullBatch;
    this.tickRequested = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runTick(), again ? 0 : this.deps.options.pollIntervalMs);
  }

  /**
   * One transaction claims a batch of due rows AND records an attempt for each before anything is sent:
   * if this process dies after the commit, every claimed row has an open attempt and recovery treats it
   * as possibly sent (in_doubt), never as safe to post again. One commit per batch, not per invoice.
   */
  private async claimAndRecord(limit: number): Promise<{ attempts: PreparedAttempt[]; claimed: number }> {
    const { engine } = this.deps.store;
    const { options } = this.deps;
    // One id per claim: a settlement counts only under the lease it was claimed with, so a row recovered
    // and re-claimed meanwhile (even by this process) is never settled by the older attempt's answer.
    const owner = `${this.instanceId}:${newId("clm")}`;
    const saturated = [...this.inflightByTenant.entries()]
      .filter(([, n]) => n >= options.tenantConcurrency)
      .map(([tenantId]) => tenantId);
    return this.committer.run(async (trx) => {
      const now = Date.now();
      const rows = await claimDueOutbox(trx, engine, {
        owner,
        now: new Date(now).toISOString(),
        leaseUntil: new Date(now + options.leaseMs).toISOString(),
        limit,
        skipTenants: saturated,
      });
      if (rows.length === 0) return { attempts: [], claimed: 0 };
      const ids = rows.map((r) => r.invoice_id);
      const invoices = await trx.selectFrom("invoices").selectAll().where("id", "in", ids).execute();
      const tenantIds = [...new Set(rows.map((r) => r.tenant_id))];
      const tenants = await trx.selectFrom("tenants").selectAll().where("id", "in", tenantIds).execute();
      const imsInvoices = invoices.filter((i) => i.channel === "ims" && i.pos_id !== null);
      const terminals =
        imsInvoices.length === 0
          ? []
          : await trx
              .selectFrom("ims_terminals")
              .selectAll()
              .where("tenant_id", "in", [...new Set(imsInvoices.map((i) => i.tenant_id))])
              .execute();
      const previous = await trx
        .selectFrom("attempts")
        .select(["invoice_id", (eb) => eb.fn.countAll<number>().as("n")])
        .where("invoice_id", "in", ids)
        .groupBy("invoice_id")
        .execute();
      const perTenant = new Map(this.inflightByTenant);
      const attempts: PreparedAttempt[] = [];
      for (const row of rows) {
        const invoice = invoices.find((i) => i.id === row.invoice_id);
        const tenant = tenants.find((t) => t.id === row.tenant_id);
        // `paused` on a tenant that is not paused (any more) is waiting to be posted, not settled: an
        // invoice stored while a resume was committing, or resumed by hand. Dropping its row would leave it
        // paused forever.
        const waiting =
          invoice !== undefined &&
          tenant !== undefined &&
          (workableStates.has(invoice.state) ||
            (invoice.state === "paused" && invoice.channel === "di" && tenant.paused_at === null));
        if (invoice === undefined || tenant === undefined || !waiting) {
          // Settled some other way (reconciled, abandoned) while its row waited: nothing left to post.
          await completeOutbox(trx, row.invoice_id, owner);
          continue;
        }
        const inFlightForTenant = perTenant.get(tenant.id) ?? 0;
        const pausedForDi = tenant.paused_at !== null && invoice.channel === "di";
        if (pausedForDi || inFlightForTenant >= options.tenantConcurrency) {
          await releaseOutboxLease(trx, row.invoice_id, owner);
          continue;
        }
        perTenant.set(tenant.id, inFlightForTenant + 1);
        const terminal =
          invoice.channel === "ims"
            ? terminals.find((t) => t.tenant_id === tenant.id && Number(t.pos_id) === Number(invoice.pos_id))
            : undefined;
        const path = tenant.environment === "sandbox" ? "postinvoicedata_sb" : "postinvoicedata";
        const url =
          invoice.channel === "ims"
            ? imsPostDataUrl(options.fbrUrl, terminal?.environment ?? tenant.environment)
            : `${options.fbrUrl.replace(/\/$/, "")}/di_data/v1/di/${path}`;
        const attemptId = newId("att");
        const attemptNo = Number(previous.find((p) => p.invoice_id === invoice.id)?.n ?? 0) + 1;
        await trx
          .insertInto("attempts")
          .values({
            id: attemptId,
            invoice_id: invoice.id,
            tenant_id: tenant.id,
            attempt_no: attemptNo,
            started_at: nowIso(),
            finished_at: null,
            outcome: null,
            url,
            request_body: redactBody(invoice.payload) ?? "",
            http_status: null,
            response_body: null,
            duration_ms: null,
            reason: null,
          })
          .execute();
        const attemptCount = Number(invoice.attempt_count) + 1;
        await markSubmitting(trx, invoice, attemptCount);
        attempts.push({
          invoice: { ...invoice, attempt_count: attemptCount },
          tenant,
          claimId: owner,
          attemptId,
          ...(terminal !== undefined ? { terminal } : {}),
        });
      }
      return { attempts, claimed: rows.length };
    });
  }

  private launch(attempt: PreparedAttempt): void {
    const tenantId = attempt.tenant.id;
    const invoiceId = attempt.invoice.id;
    if (this.breaker.state === "half_open") this.breaker.startProbe();
    this.inflightByTenant.set(tenantId, (this.inflightByTenant.get(tenantId) ?? 0) + 1);
    this.inflightClaims.set(invoiceId, attempt.claimId);
    const work = this.send(attempt)
      .catch((error: unknown) => this.problem("submission failed", error, invoiceId))
      .finally(() => {
        this.inflight.delete(invoiceId);
        this.inflightClaims.delete(invoiceId);
        const left = (this.inflightByTenant.get(tenantId) ?? 1) - 1;
        if (left <= 0) this.inflightByTenant.delete(tenantId);
        else this.inflightByTenant.set(tenantId, left);
        this.kick();
      });
    this.inflight.set(invoiceId, work);
  }

  private async send({ invoice, tenant, claimId, attemptId, terminal }: PreparedAttempt): Promise<void> {
    if (invoice.channel === "ims") {
      await this.sendIms(invoice, tenant, claimId, attemptId, terminal);
      return;
    }
    let token: string;
    try {
      token = tenantFbrToken(this.deps.masterKey, tenant);
    } catch (error) {
      // Our own master key cannot open the token: an internal fault, not FBR refusing the seller, so the
      // invoice stays retrying (not_sent) instead of pausing the tenant, and the log says so loudly.
      this.problem("the stored FBR token cannot be decrypted (wrong master key?)", error, invoice.id);
      await this.settle(invoice, tenant, claimId, attemptId, {
        kind: "not_sent",
        reason: `the stored FBR token cannot be decrypted, nothing was sent: ${(error as Error).message}`,
        exchange: { url: "", requestBody: "", durationMs: 0 },
      });
      return;
    }
    const { options } = this.deps;
    const client = new DiClient({
      token,
      environment: tenant.environment,
      baseUrl: options.fbrUrl,
      timeoutMs: options.fbrTimeoutMs,
      maxRetries: 0,
      ...(this.deps.fetch !== undefined ? { fetch: this.deps.fetch } : {}),
    });
    await this.postAndSettle(invoice, tenant, claimId, attemptId, () =>
      client.postInvoice(JSON.parse(invoice.payload) as Parameters<DiClient["postInvoice"]>[0]),
    );
  }

  /** One FBR post for either channel: classify, report the call, settle. */
  private async postAndSettle(
    invoice: InvoiceRow,
    tenant: TenantRow,
    claimId: string,
    attemptId: string,
    post: () => Promise<PostOutcome>,
  ): Promise<void> {
    let outcome: PostOutcome;
    try {
      outcome = await post();
    } catch (error) {
      // The client is meant to classify everything; if it throws anyway we cannot know whether the
      // request was written, so the only safe answer is in_doubt.
      outcome = { kind: "in_doubt", reason: `unexpected client failure: ${(error as Error).message}` };
    }
    this.deps.events.emit("fbr.call", {
      tenantId: tenant.id,
      outcome: outcome.kind,
      durationMs: outcome.exchange?.durationMs ?? 0,
      errorCodes: outcome.kind === "rejected" ? outcome.errors.map((e) => e.code) : [],
    });
    await this.settle(invoice, tenant, claimId, attemptId, outcome);
  }

  /** An IMS sale: FBR's PostData with the POS terminal's own token (FBR-SPEC §11), same settlement. */
  private async sendIms(
    invoice: InvoiceRow,
    tenant: TenantRow,
    claimId: string,
    attemptId: string,
    terminal: ImsTerminalRow | undefined,
  ): Promise<void> {
    let token: string;
    try {
      if (terminal === undefined) throw new Error(`POSID ${invoice.pos_id} is no longer registered`);
      token = imsTerminalToken(this.deps.masterKey, terminal);
    } catch (error) {
      await this.settle(invoice, tenant, claimId, attemptId, {
        kind: "unauthorised",
        reason: `no usable IMS token for this POS terminal, nothing was sent: ${(error as Error).message}`,
        exchange: { url: "", requestBody: "", durationMs: 0 },
      });
      return;
    }
    const { options } = this.deps;
    const origin = imsOrigin(options.fbrUrl);
    const client = new ImsClient({
      token,
      environment: terminal.environment,
      ...(origin !== undefined ? { baseUrl: origin } : {}),
      timeoutMs: options.fbrTimeoutMs,
      // The outbox is the retry mechanism (one recorded attempt per post).
      maxRetries: 0,
      ...(this.deps.fetch !== undefined ? { fetch: this.deps.fetch } : {}),
    });
    await this.postAndSettle(invoice, tenant, claimId, attemptId, () =>
      client.postData(JSON.parse(invoice.payload) as ImsInvoice),
    );
  }

  /**
   * Decides the next state by the outcome kind, then queues the settlement for the next group commit:
   * outcomes that arrive while a commit is running are written together in one transaction, so the
   * store's fsync rate does not cap the drain rate.
   */
  private async settle(
    invoice: InvoiceRow,
    tenant: TenantRow,
    claimId: string,
    attemptId: string | null,
    outcome: PostOutcome,
  ): Promise<void> {
    // The one decision (sdk nextStep, on the outcome table in ARCHITECTURE.md).
    const { options } = this.deps;
    const step = nextStep(outcome, invoice.attempt_count, {
      maxAttempts: options.maxAttempts,
      maxRetryDelayMs: options.maxRetryDelayMs,
    });
    if (step.fbrAnswered) this.breaker.recordSuccess();
    else this.breaker.recordFailure();
    const change = await this.committer.run(
      (trx) => this.applySettlement(trx, { invoice, tenant, claimId, attemptId, outcome, step }),
      // Tenant order: concurrent instances lock tenant rows (audit chain heads) in the same order.
      tenant.id,
    );
    if (change !== undefined) this.deps.events.emit("invoice.state_changed", change);
  }

  /** Attempt record, invoice state, outbox row and audit entry for one outcome, inside `trx`. */
  private async applySettlement(
    trx: Transaction<Database>,
    { invoice, tenant, claimId, attemptId, outcome, step }: Settlement,
  ): Promise<InvoiceStateChange | undefined> {
    const next = step.next;
    const owner = claimId;
    const now = nowIso();
    let stateChanged = false;
    let fbrNumber: string | null = null;
    const exchange = outcome.exchange;
    if (attemptId !== null) {
      await trx
        .updateTable("attempts")
        .set({
          finished_at: now,
          outcome: outcome.kind,
          url: exchange?.url ?? undefined,
          http_status: exchange?.status ?? null,
          response_body: redactBody(exchange?.responseBody),
          duration_ms: exchange !== undefined ? Math.round(exchange.durationMs) : null,
          reason: "reason" in outcome ? outcome.reason : null,
        })
        .where("id", "=", attemptId)
        .execute();
    }

    let leaseHeld: boolean;
    if (step.next === "retrying") {
      const dueAt = new Date(Date.now() + step.delayMs).toISOString();
      leaseHeld = await rescheduleOutbox(trx, invoice.id, owner, dueAt);
    } else if (next === "paused" && invoice.channel === "ims") {
      // FBR refused one POS terminal's token: hold that sale only (the tenant's DI queue and other tills
      // go on); `raseed tenant add-pos` with a new token puts it back on the queue.
      leaseHeld = await completeOutbox(trx, invoice.id, owner);
    } else if (next === "paused") {
      leaseHeld = await rescheduleOutbox(trx, invoice.id, owner, now);
      if (leaseHeld)
        await pauseTenantOutbox(
          trx,
          tenant.id,
          "reason" in outcome ? outcome.reason : "unauthorised",
          `worker:${this.instanceId}`,
        );
    } else {
      leaseHeld = await completeOutbox(trx, invoice.id, owner);
    }

    // A lost lease means someone else settled this invoice meanwhile (recovery marked it in_doubt, or a
    // person abandoned or resubmitted it). FBR's late answer is still the truth about this post: an
    // accepted number is recorded whatever the state now (throwing it away would leave a reported sale
    // looking unreported), and a rejection is recorded while nobody has decided anything else (in_doubt).
    const current = await trx
      .selectFrom("invoices")
      .select(["state"])
      .where("id", "=", invoice.id)
      .executeTakeFirstOrThrow();
    let apply = leaseHeld;
    if (
      !leaseHeld &&
      outcome.kind === "accepted" &&
      current.state !== "accepted" &&
      // Cancelled was accepted first: its number is already recorded, and a person cancelled it in IRIS.
      current.state !== "cancelled"
    ) {
      apply = true;
      // Reported now: nothing is left to post, whoever holds the row (a resubmission must not post again).
      await trx.deleteFrom("outbox").where("invoice_id", "=", invoice.id).execute();
    } else if (!leaseHeld && outcome.kind === "rejected" && current.state === "in_doubt") {
      apply = true;
    }
    const details = {
      attemptId,
      claimId,
      outcome: outcome.kind,
      leaseLost: !leaseHeld,
      httpStatus: exchange?.status ?? null,
      durationMs: exchange !== undefined ? Math.round(exchange.durationMs) : null,
      // Always kept here, even when the invoice already had a number: the audit shows every FBR acceptance.
      fbrInvoiceNumber: outcome.kind === "accepted" ? outcome.invoiceNumber : null,
      errorCodes: outcome.kind === "rejected" ? outcome.errors.map((e) => e.code) : undefined,
      reason: "reason" in outcome ? outcome.reason : undefined,
    };
    const audit = { actor: `worker:${this.instanceId}`, action: "fbr.post", details };
    if (apply) {
      const set: InvoiceFields = {};
      if (outcome.kind === "accepted") {
        fbrNumber = outcome.invoiceNumber;
        set.fbr_invoice_number = outcome.invoiceNumber;
        set.fbr_number_source = "fbr";
        set.fbr_dated = outcome.dated ?? null;
        set.item_numbers = JSON.stringify(outcome.itemNumbers);
        set.errors = null;
        set.last_reason = null;
      } else if (outcome.kind === "rejected") {
        set.errors = JSON.stringify(outcome.errors);
        set.last_reason = outcome.errors
          .map((e) => `${e.code}: ${e.message}`)
          .join("; ")
          .slice(0, 2000);
      } else {
        set.last_reason = outcome.reason;
      }
      stateChanged = await changeInvoiceState(trx, {
        event: leaseHeld ? "settled" : "late_answer",
        invoice: { id: invoice.id, tenant_id: tenant.id, state: current.state },
        to: next,
        set,
        audit,
      });
    }
    // Not applied (or moved meanwhile): the answer is still recorded, the state left as it is.
    if (!stateChanged) {
      await appendAudit(trx, {
        tenantId: tenant.id,
        actor: audit.actor,
        action: audit.action,
        subject: invoice.id,
        details: { ...details, from: current.state, to: current.state },
      });
    }
    return stateChanged
      ? {
          tenantId: tenant.id,
          invoiceId: invoice.id,
          state: next,
          previousState: leaseHeld ? invoice.state : current.state,
          fbrInvoiceNumber: fbrNumber,
        }
      : undefined;
  }

  /**
   * Settles rows whose worker died or stalled past its lease: may-have-been-sent → in_doubt;
   * certainly-not-sent → queued. `all` (start-up on SQLite, whose file lock proves no other process is
   * live) takes every lease; otherwise only expired ones, and never a post this process has in flight
   * (its heartbeat keeps those leases current; excluding them also covers a heartbeat that fell behind).
   */
  private async recoverLeases(all: boolean): Promise<void> {
    this.lastRecoveryAt = Date.now();
    const { db, engine } = this.deps.store;
    const owner = `${this.instanceId}:${newId("clm")}`;
    let rows: ClaimedOutboxRow[];
    try {
      rows = await claimExpiredLeases(db, engine, {
        owner,
        now: nowIso(),
        leaseUntil: new Date(Date.now() + this.deps.options.leaseMs).toISOString(),
        all,
        exclude: [...this.inflightClaims.keys()],
      });
    } catch (error) {
      this.problem("lease recovery failed", error);
      return;
    }
    for (const row of rows) {
      try {
        await this.recoverOne(row, owner, all);
      } catch (error) {
        this.problem("recovering an abandoned lease failed", error, row.invoice_id);
      }
    }
    if (rows.length > 0) this.kick();
  }

  private async recoverOne(row: ClaimedOutboxRow, owner: string, atStartUp: boolean): Promise<void> {
    const { db } = this.deps.store;
    const now = nowIso();
    const change = await db.transaction().execute(async (trx) => {
      const invoice = await trx
        .selectFrom("invoices")
        .selectAll()
        .where("id", "=", row.invoice_id)
        .executeTakeFirst();
      if (invoice === undefined || !workableStates.has(invoice.state)) {
        await completeOutbox(trx, row.invoice_id, owner);
        return undefined;
      }
      const open = await trx
        .selectFrom("attempts")
        .select(["id"])
        .where("invoice_id", "=", row.invoice_id)
        .where("outcome", "is", null)
        .execute();
      const actor = `worker:${this.instanceId}`;
      // What a crash mid-flight means is the sdk's decision (nextStepAfterCrash); the reason says which case.
      const step = nextStepAfterCrash(open.length > 0);
      if (step.next === "in_doubt") {
        const reason = atStartUp
          ? "the process posting this invoice stopped before FBR's answer was recorded; the request may have reached FBR"
          : "the lease on this post expired before FBR's answer was recorded (its process stopped or stalled); the request may have reached FBR";
        await trx
          .updateTable("attempts")
          .set({ outcome: "in_doubt", finished_at: now, reason })
          .where("invoice_id", "=", row.invoice_id)
          .where("outcome", "is", null)
          .execute();
        const moved = await changeInvoiceState(trx, {
          event: "recovered",
          invoice,
          to: "in_doubt",
          set: { last_reason: reason },
          audit: { actor, action: "invoice.recovered", details: { reason } },
        });
        await completeOutbox(trx, row.invoice_id, owner);
        return moved ? { from: invoice.state, to: "in_doubt" as const } : undefined;
      }
      // No attempt was recorded, so nothing was sent: back to the queue, due now.
      const reason = "lease expired before any attempt was recorded";
      const audit = { actor, action: "invoice.recovered", details: { reason } };
      let to: InvoiceState = invoice.state;
      if (invoice.state === "submitting") {
        const moved = await changeInvoiceState(trx, { event: "recovered", invoice, to: step.next, audit });
        if (moved) to = step.next;
      } else {
        // Still queued or retrying (claimed, never marked submitting): its state stands; the recovery is noted.
        await appendAudit(trx, {
          tenantId: row.tenant_id,
          actor,
          action: audit.action,
          subject: row.invoice_id,
          details: { ...audit.details, from: invoice.state, to },
        });
      }
      await rescheduleOutbox(trx, row.invoice_id, owner, now);
      return { from: invoice.state, to };
    });
    if (change !== undefined && change.from !== change.to) {
      this.deps.events.emit("invoice.state_changed", {
        tenantId: row.tenant_id,
        invoiceId: row.invoice_id,
        state: change.to,
        previousState: change.from,
      });
    }
  }
}
