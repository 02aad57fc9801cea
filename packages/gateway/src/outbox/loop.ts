// The submission worker's loop: claims due outbox rows under a lease and records the attempt BEFORE
// posting (one transaction per batch), hands each to dispatch.ts (DI or IMS) and settle.ts, keeps leases
// alive while posts are in flight, and runs recover.ts for abandoned leases. The loop never throws: every
// failure becomes a "worker.problem" event and the loop carries on.
import type { Transaction } from "kysely";
import type { GatewayEvents } from "../events.ts";
import { markAllSubmitting } from "../invoices/lifecycle.ts";
import type { RecordKeys } from "../records/keys.ts";
import type { Store } from "../store/database.ts";
import { GroupCommitter } from "../store/group-commit.ts";
import { newId } from "../store/ids.ts";
import type { Database } from "../store/schema.ts";
import { FbrConnections } from "../tenants/fbr-connections.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import {
  attemptUrl,
  type ClaimedAttempt,
  type DispatchContext,
  dispatchAttempt,
  redactBody,
} from "./dispatch.ts";
import {
  claimDueOutbox,
  completeOutbox,
  insertAttempts,
  loadClaimBatch,
  releaseOutboxLease,
  renewOutboxLeases,
  type StartedAttempt,
  withSavepoint,
} from "./outbox-sql.ts";
import { type RecoverContext, recoverLeases, WORKABLE_STATES } from "./recover.ts";
import { type SettleContext, type Settlement, settleAttempt, settlementBatch } from "./settle.ts";

export interface OutboxWorkerOptions {
  fbrUrl: string;
  /** Global outbound proxy and its exceptions (config fbrProxy, fbrNoProxy) when no `connections` is given. */
  fbrProxy?: string | undefined;
  fbrNoProxy?: string | undefined;
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
  /** Each tenant's origin, token and transport (proxy, client certificate); shared with the API. */
  connections?: FbrConnections;
  /** Unique per process; claims and leases are recorded under it. */
  instanceId?: string;
  /** Shared with the API so submissions and settlements ride the same commits. */
  committer?: GroupCommitter;
  /** Seals acceptances in their settlement's transaction (without it, the gateway's Sealer seals them). */
  recordKeys?: RecordKeys;
}

const RECOVERY_INTERVAL_MS = 1_000;

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
  private readonly dispatch: DispatchContext;
  private readonly settle: SettleContext;
  private readonly recover: RecoverContext;

  constructor(private readonly deps: OutboxWorkerDeps) {
    this.instanceId = deps.instanceId ?? newId("wrk");
    this.committer = deps.committer ?? new GroupCommitter(deps.store.db);
    this.breaker = new CircuitBreaker(
      deps.options.breakerThreshold,
      deps.options.breakerCooldownMs,
      (state) => deps.events.emit("breaker.changed", { state }),
    );
    const { options } = deps;
    const actor = `worker:${this.instanceId}`;
    const problem = this.problem.bind(this);
    this.dispatch = {
      transport: {
        fbrUrl: options.fbrUrl,
        timeoutMs: options.fbrTimeoutMs,
        connections:
          deps.connections ??
          new FbrConnections({
            masterKey: deps.masterKey,
            fbrUrl: options.fbrUrl,
            proxy: options.fbrProxy,
            noProxy: options.fbrNoProxy,
            ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}),
          }),
      },
      masterKey: deps.masterKey,
      events: deps.events,
      problem,
    };
    const sealing = deps.recordKeys !== undefined ? { recordKeys: deps.recordKeys } : {};
    this.settle = {
      committer: this.committer,
      events: deps.events,
      breaker: this.breaker,
      actor,
      policy: { maxAttempts: options.maxAttempts, maxRetryDelayMs: options.maxRetryDelayMs },
      ...sealing,
      batch: settlementBatch({ actor, events: deps.events, ...sealing }, (trx, settled) =>
        this.refill(trx, settled),
      ),
    };
    this.recover = { store: deps.store, events: deps.events, actor, leaseMs: options.leaseMs, problem };
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
    // A settlement committing now may have recorded its slot's next attempt: that post is waited for too.
    let result: unknown;
    while (this.inflight.size > 0 && result !== "deadline") {
      result = await Promise.race([Promise.allSettled([...this.inflight.values()]), deadline]);
    }
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

  private async recoverLeases(all: boolean): Promise<void> {
    this.lastRecoveryAt = Date.now();
    const recovered = await recoverLeases(this.recover, {
      owner: `${this.instanceId}:${newId("clm")}`,
      all,
      exclude: [...this.inflightClaims.keys()],
    });
    if (recovered > 0) this.kick();
  }

  /**
   * One transaction claims a batch of due rows AND records an attempt for each before anything is sent:
   * if this process dies after the commit, every claimed row has an open attempt and recovery treats it
   * as possibly sent (in_doubt), never as safe to post again. One commit per batch, not per invoice.
   */
  private claimAndRecord(limit: number): Promise<{ attempts: ClaimedAttempt[]; claimed: number }> {
    return this.committer.run((trx) => this.claimInto(trx, limit, new Map()));
  }

  /**
   * The settlements of a group commit free their slots: up to one new attempt each is claimed and recorded
   * in their transaction, so the slot's next post starts at that commit instead of after another claim
   * round's. Only while running with the breaker closed (otherwise the claim rounds decide, probes
   * included); a failed claim is rolled back alone and reported, and the settlements commit regardless.
   */
  private async refill(
    trx: Transaction<Database>,
    settled: readonly Settlement[],
  ): Promise<ClaimedAttempt[]> {
    if (!this.running || this.breaker.state !== "closed") return [];
    // The settling posts still count in flight until their commit: their slots are the ones being refilled.
    const settling = new Map<string, number>();
    for (const { attempt } of settled) {
      settling.set(attempt.tenant.id, (settling.get(attempt.tenant.id) ?? 0) + 1);
    }
    try {
      const { attempts } = await withSavepoint(trx, () => this.claimInto(trx, settled.length, settling));
      return attempts;
    } catch (error) {
      this.problem("claiming beside a settlement failed", error);
      return [];
    }
  }

  /** Claims up to `limit` due rows in `trx` and records an attempt for each; `settling` posts are not counted. */
  private async claimInto(
    trx: Transaction<Database>,
    limit: number,
    settling: ReadonlyMap<string, number>,
  ): Promise<{ attempts: ClaimedAttempt[]; claimed: number }> {
    const { engine } = this.deps.store;
    const { options } = this.deps;
    // One id per claim: a settlement counts only under the lease it was claimed with, so a row recovered
    // and re-claimed meanwhile (even by this process) is never settled by the older attempt's answer.
    const owner = `${this.instanceId}:${newId("clm")}`;
    const perTenant = new Map<string, number>();
    for (const [tenantId, n] of this.inflightByTenant) {
      const busy = n - (settling.get(tenantId) ?? 0);
      if (busy > 0) perTenant.set(tenantId, busy);
    }
    const saturated = [...perTenant.entries()]
      .filter(([, n]) => n >= options.tenantConcurrency)
      .map(([tenantId]) => tenantId);
    const now = Date.now();
    const rows = await claimDueOutbox(trx, engine, {
      owner,
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + options.leaseMs).toISOString(),
      limit,
      skipTenants: saturated,
    });
    if (rows.length === 0) return { attempts: [], claimed: 0 };
    const batch = await loadClaimBatch(trx, rows);
    const attempts: ClaimedAttempt[] = [];
    const started: StartedAttempt[] = [];
    const claims: Parameters<typeof markAllSubmitting>[1][number][] = [];
    for (const row of rows) {
      const invoice = batch.invoices.get(row.invoice_id);
      const tenant = batch.tenants.get(row.tenant_id);
      // `paused` on a tenant that is not paused (any more) is waiting to be posted, not settled: an
      // invoice stored while a resume was committing, or resumed by hand. Dropping its row would leave it
      // paused forever.
      const waiting =
        invoice !== undefined &&
        tenant !== undefined &&
        (WORKABLE_STATES.has(invoice.state) ||
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
          ? batch.terminals.find(
              (t) => t.tenant_id === tenant.id && Number(t.pos_id) === Number(invoice.pos_id),
            )
          : undefined;
      const attemptId = newId("att");
      started.push({
        id: attemptId,
        invoiceId: invoice.id,
        tenantId: tenant.id,
        attemptNo: (batch.previousAttempts.get(invoice.id) ?? 0) + 1,
        url: attemptUrl(this.dispatch.transport, invoice, tenant, terminal),
        requestBody: redactBody(invoice.payload) ?? "",
      });
      const attemptCount = Number(invoice.attempt_count) + 1;
      claims.push({ invoice, attemptCount });
      attempts.push({
        invoice: { ...invoice, attempt_count: attemptCount },
        tenant,
        claimId: owner,
        attemptId,
        ...(terminal !== undefined ? { terminal } : {}),
      });
    }
    // On PostgreSQL a person may change an invoice between the read above and this compare-and-set (a
    // retry, an abandon): that invoice is not posted, its row goes back to the queue, and the next claim
    // reads what the person decided.
    const moved = await markAllSubmitting(trx, claims);
    for (const { invoice } of attempts) {
      if (!moved.has(invoice.id)) await releaseOutboxLease(trx, invoice.id, owner);
    }
    // In the claim's transaction: every attempt is durable before its post starts.
    await insertAttempts(
      trx,
      started.filter((attempt) => moved.has(attempt.invoiceId)),
    );
    return { attempts: attempts.filter(({ invoice }) => moved.has(invoice.id)), claimed: rows.length };
  }

  private launch(attempt: ClaimedAttempt): void {
    const tenantId = attempt.tenant.id;
    const invoiceId = attempt.invoice.id;
    if (this.breaker.state === "half_open") this.breaker.startProbe();
    this.inflightByTenant.set(tenantId, (this.inflightByTenant.get(tenantId) ?? 0) + 1);
    this.inflightClaims.set(invoiceId, attempt.claimId);
    const work = dispatchAttempt(this.dispatch, attempt)
      .then((outcome) => settleAttempt(this.settle, attempt, outcome))
      .catch((error: unknown) => {
        this.problem("submission failed", error, invoiceId);
        return undefined;
      })
      .then((next) => {
        this.inflight.delete(invoiceId);
        this.inflightClaims.delete(invoiceId);
        const left = (this.inflightByTenant.get(tenantId) ?? 1) - 1;
        if (left <= 0) this.inflightByTenant.delete(tenantId);
        else this.inflightByTenant.set(tenantId, left);
        // Recorded with the settlement: posted even while stopping (stop waits for it), never dropped.
        if (next !== undefined) this.launch(next);
        this.kick();
      });
    this.inflight.set(invoiceId, work);
  }
}
