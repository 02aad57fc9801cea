// The submission worker's loop: claims due outbox rows under a lease and records the attempt BEFORE
// posting (one transaction per batch), hands each to dispatch.ts (DI or IMS) and settle.ts, keeps leases
// alive while posts are in flight, and runs recover.ts for abandoned leases. With `workerPrefetch`, up to
// that many attempts are recorded ahead of a free slot, so a slot's next post starts when FBR answers
// instead of after a commit. The loop never throws: every failure becomes a "worker.problem" event and the
// loop carries on.
import type { NextStep, PostOutcome } from "@raseed/sdk";
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
import { attemptUrl, type ClaimedAttempt, type DispatchContext, dispatchAttempt } from "./dispatch.ts";
import { currentBootId, LaunchLog, readNeverLaunched } from "./launch-log.ts";
import {
  claimDueOutbox,
  completeOutbox,
  insertAttempts,
  loadClaimBatch,
  releaseOutboxLease,
  renewOutboxLeases,
  type StartedAttempt,
  storedRequestBody,
  withSavepoint,
} from "./outbox-sql.ts";
import { type RecoverContext, recoverLeases, WORKABLE_STATES } from "./recover.ts";
import {
  AnswerOrder,
  decideSettlement,
  type SettleContext,
  type Settlement,
  settleAttempt,
  settlementBatch,
} from "./settle.ts";

export interface OutboxWorkerOptions {
  fbrUrl: string;
  /** Global outbound proxy and its exceptions (config fbrProxy, fbrNoProxy) when no `connections` is given. */
  fbrProxy?: string | undefined;
  fbrNoProxy?: string | undefined;
  workerConcurrency: number;
  tenantConcurrency: number;
  /**
   * Attempts recorded ahead of a free slot (0: none). A slot freed by FBR's answer posts one of them at
   * once; a kill may leave them in_doubt although never sent (docs/operations.md).
   */
  workerPrefetch: number;
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
  /**
   * The launch log's path (SQLite, beside the database file: launch-log.ts): start-up recovery puts back on
   * the queue what the previous process recorded and never posted, instead of leaving it in doubt.
   */
  launchLog?: string;
}

const RECOVERY_INTERVAL_MS = 1_000;
/** The launch log starts afresh past this size (~100,000 lines); that only drops proofs. */
const LAUNCH_LOG_MAX_BYTES = 4 * 1024 * 1024;
const STOPPING = "withdrawn before it was posted: the gateway was stopping";
const REFUSED = "withdrawn before it was posted: FBR refused the seller's token on another post";

export class OutboxWorker {
  readonly instanceId: string;
  readonly breaker: CircuitBreaker;
  /** Invoice id → its post and settlement, from launch until the settlement's commit. */
  private readonly inflight = new Map<string, Promise<void>>();
  /** Invoice id → the claim id its outbox lease is held under, from its claim until its settlement. */
  private readonly inflightClaims = new Map<string, string>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Posts on the wire (a slot each, until FBR's answer), by invoice id, and how many per tenant. */
  private readonly onWire = new Set<string>();
  private readonly onWireByTenant = new Map<string, number>();
  /** Attempts recorded (durable) but not yet posted: they wait for a free slot, oldest first. */
  private readonly ready: ClaimedAttempt[] = [];
  /**
   * Sellers whose token FBR refused on a DI post whose settlement (which pauses the seller) is still being
   * written, with how many such posts: none of their recorded attempts is posted meanwhile.
   */
  private readonly refusedSellers = new Map<string, number>();
  /** Answered posts whose settlement (which may record attempts) has not committed yet. */
  private settling = 0;
  /** Rows a claim round in progress may still record. */
  private claiming = 0;
  private launches: LaunchLog | undefined;
  /** Set when stop() is done waiting: nothing is posted after it, whatever answers or commits later. */
  private halted = false;
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
      answerOrder: new AnswerOrder(),
    };
    this.recover = { store: deps.store, events: deps.events, actor, leaseMs: options.leaseMs, problem };
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  /** Attempts recorded ahead of a free slot, waiting to be posted. */
  get recordedAhead(): number {
    return this.ready.length;
  }

  /**
   * Attempts that may still be claimed now: a slot each, plus `workerPrefetch` ahead while the breaker is
   * closed, less what is on the wire, waiting, settling (its settlement may record one) or being claimed.
   */
  private capacity(): number {
    const { options } = this.deps;
    const ahead = this.running && this.breaker.state === "closed" ? options.workerPrefetch : 0;
    return (
      options.workerConcurrency + ahead - this.onWire.size - this.ready.length - this.settling - this.claiming
    );
  }

  /**
   * Starts the loop. `recoverAllLeases` (SQLite, one process per file) treats every lease left in the
   * store as belonging to a dead process; on PostgreSQL other instances may be alive, so only expired
   * leases are recovered.
   */
  async start(options: { recoverAllLeases?: boolean } = {}): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.halted = false;
    const all = options.recoverAllLeases === true;
    const path = this.deps.launchLog;
    const bootId = currentBootId();
    // The previous process's log is read before this one's replaces it, and only at start-up on SQLite
    // (its file lock proves that process gone); recovery uses it before anything is claimed again.
    const neverLaunched = all && path !== undefined ? readNeverLaunched(path, bootId) : undefined;
    await this.recoverLeases(all, neverLaunched);
    if (path !== undefined && bootId !== undefined) {
      try {
        this.launches = LaunchLog.create(path, bootId);
      } catch (error) {
        this.problem(
          "the launch log could not be started: a kill will leave recorded attempts in doubt",
          error,
        );
      }
    }
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
   * Stops claiming and waits up to `deadlineMs` for attempts in flight. Nothing new is posted once stopping
   * began: attempts recorded ahead, or recorded by a settlement committing now, are withdrawn (not_sent,
   * tried again after the restart). Attempts still running at the deadline keep their lease and attempt
   * record; the next start recovers them (as in_doubt, since their request may have been written).
   */
  async stop(deadlineMs: number): Promise<{ drained: boolean; unfinished: number }> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // A claim round in progress finishes first; what it recorded is withdrawn like the rest.
    await this.currentTick;
    this.withdraw(this.ready.splice(0));
    let drained = true;
    if (this.inflight.size > 0) {
      let timeout: NodeJS.Timeout | undefined;
      const deadline = new Promise<"deadline">((resolve) => {
        timeout = setTimeout(() => resolve("deadline"), deadlineMs);
      });
      // A settlement committing now may have recorded attempts: their withdrawals are waited for too.
      let result: unknown;
      while (this.inflight.size > 0 && result !== "deadline") {
        result = await Promise.race([Promise.allSettled([...this.inflight.values()]), deadline]);
      }
      clearTimeout(timeout);
      drained = result !== "deadline";
    }
    // Attempts still running past the deadline stop being renewed: their leases run out and recovery
    // (the next start, or another instance) settles them.
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.halt();
    return { drained, unfinished: this.inflight.size };
  }

  /**
   * Nothing is launched or withdrawn any more (an attempt recorded by a settlement that commits later stays
   * recorded, for the next start), so the launch log can close: a post started without its line would be
   * taken for one never sent.
   */
  private halt(): void {
    this.halted = true;
    try {
      this.launches?.close();
    } catch (error) {
      this.problem("closing the launch log failed", error);
    }
    this.launches = undefined;
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
      this.trimLaunchLog();
      // A probe (half-open breaker) is one already recorded, if any waits.
      this.pump();
      const free = Math.min(this.capacity(), this.breaker.permits());
      if (free > 0) {
        this.claiming = free;
        try {
          const { attempts, claimed } = await this.claimAndRecord(free);
          claimedFullBatch = claimed === free;
          for (const attempt of attempts) this.offer(attempt);
        } finally {
          this.claiming = 0;
        }
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

  private async recoverLeases(all: boolean, neverLaunched?: ReadonlySet<string>): Promise<void> {
    this.lastRecoveryAt = Date.now();
    const recovered = await recoverLeases(this.recover, {
      owner: `${this.instanceId}:${newId("clm")}`,
      all,
      exclude: [...this.inflightClaims.keys()],
      neverLaunched,
    });
    if (recovered > 0) this.kick();
  }

  /**
   * One transaction claims a batch of due rows AND records an attempt for each before anything is sent:
   * if this process dies after the commit, every claimed row has an open attempt and recovery treats it
   * as possibly sent (in_doubt), never as safe to post again. One commit per batch, not per invoice.
   */
  private claimAndRecord(limit: number): Promise<{ attempts: ClaimedAttempt[]; claimed: number }> {
    return this.committer.run((trx) => this.claimInto(trx, limit));
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
    try {
      // Each settling post holds one unit of capacity until its settlement is answered: these are theirs.
      const { attempts } = await withSavepoint(trx, () => this.claimInto(trx, settled.length));
      return attempts;
    } catch (error) {
      this.problem("claiming beside a settlement failed", error);
      return [];
    }
  }

  /**
   * Claims up to `limit` due rows in `trx` and records an attempt for each. A tenant may have
   * `tenantConcurrency` posts on the wire and, while the breaker is closed, `workerPrefetch` more recorded.
   */
  private async claimInto(
    trx: Transaction<Database>,
    limit: number,
  ): Promise<{ attempts: ClaimedAttempt[]; claimed: number }> {
    const { engine } = this.deps.store;
    const { options } = this.deps;
    // One id per claim: a settlement counts only under the lease it was claimed with, so a row recovered
    // and re-claimed meanwhile (even by this process) is never settled by the older attempt's answer.
    const owner = `${this.instanceId}:${newId("clm")}`;
    const perTenant = new Map(this.onWireByTenant);
    for (const { tenant } of this.ready) perTenant.set(tenant.id, (perTenant.get(tenant.id) ?? 0) + 1);
    const tenantLimit =
      options.tenantConcurrency + (this.breaker.state === "closed" ? options.workerPrefetch : 0);
    const saturated = [...perTenant.entries()]
      .filter(([, n]) => n >= tenantLimit)
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
      if (pausedForDi || inFlightForTenant >= tenantLimit) {
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
        requestBody: storedRequestBody(invoice.payload),
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
    const recorded = started.filter((attempt) => moved.has(attempt.invoiceId));
    // Noted in the launch log before the commit, so no kill finds an attempt committed that the log does
    // not know (a line for an attempt rolled back names nothing recovery can find).
    this.noteRecorded(recorded.map((attempt) => attempt.id));
    // In the claim's transaction: every attempt is durable before its post starts.
    await insertAttempts(trx, recorded);
    return { attempts: attempts.filter(({ invoice }) => moved.has(invoice.id)), claimed: rows.length };
  }

  private trimLaunchLog(): void {
    if (this.launches === undefined || this.launches.bytes < LAUNCH_LOG_MAX_BYTES) return;
    try {
      this.launches.restart();
    } catch (error) {
      this.problem("restarting the launch log failed (it keeps growing)", error);
    }
  }

  private noteRecorded(attemptIds: readonly string[]): void {
    try {
      this.launches?.recorded(attemptIds);
    } catch (error) {
      // Only their proof is lost: a kill leaves them in doubt, as without a log.
      this.problem("noting recorded attempts in the launch log failed", error);
    }
  }

  /**
   * A newly recorded attempt: posted now if a slot (and its tenant) has room, else it waits in `ready`;
   * withdrawn while stopping.
   */
  private offer(attempt: ClaimedAttempt): void {
    if (this.halted) return;
    this.inflightClaims.set(attempt.invoice.id, attempt.claimId);
    if (!this.running) this.withdraw([attempt]);
    else if (this.canPost(attempt)) this.launch(attempt);
    else this.ready.push(attempt);
  }

  private canPost(attempt: ClaimedAttempt): boolean {
    const { options } = this.deps;
    return (
      this.onWire.size < options.workerConcurrency &&
      (this.onWireByTenant.get(attempt.tenant.id) ?? 0) < options.tenantConcurrency &&
      !(attempt.invoice.channel === "di" && this.refusedSellers.has(attempt.tenant.id)) &&
      this.breaker.permits() > 0
    );
  }

  /** Posts recorded-ahead attempts, oldest first, into the free slots. */
  private pump(): void {
    if (!this.running) return;
    for (let index = 0; index < this.ready.length; ) {
      const attempt = this.ready[index] as ClaimedAttempt;
      if (!this.canPost(attempt)) {
        if (this.onWire.size >= this.deps.options.workerConcurrency) return;
        index += 1;
        continue;
      }
      this.ready.splice(index, 1);
      this.launch(attempt);
    }
  }

  /**
   * Posts an attempt once its launch is in the launch log. When that line cannot be written the post does
   * not start (the log would prove it unsent): the attempt is withdrawn and tried again.
   */
  private launch(attempt: ClaimedAttempt): void {
    const tenantId = attempt.tenant.id;
    const invoiceId = attempt.invoice.id;
    try {
      this.launches?.launched(attempt.attemptId);
    } catch (error) {
      this.problem("the launch log could not be written: the attempt was not posted", error, invoiceId);
      this.withdraw([attempt], "not posted: the gateway's launch log could not be written");
      return;
    }
    if (this.breaker.state === "half_open") this.breaker.startProbe();
    this.onWire.add(invoiceId);
    this.onWireByTenant.set(tenantId, (this.onWireByTenant.get(tenantId) ?? 0) + 1);
    let answered = false;
    // FBR's answer (or the post's failure) frees the slot; the settlement holds one unit of capacity
    // until it is answered, for the attempt it may record.
    const leaveWire = () => {
      if (answered) return;
      answered = true;
      this.onWire.delete(invoiceId);
      const left = (this.onWireByTenant.get(tenantId) ?? 1) - 1;
      if (left <= 0) this.onWireByTenant.delete(tenantId);
      else this.onWireByTenant.set(tenantId, left);
      this.settling += 1;
    };
    let refused = false;
    const work = dispatchAttempt(this.dispatch, attempt)
      .then((outcome) => {
        // The breaker hears of the answer first (it decides whether a waiting attempt goes), then the slot
        // is free for one before this settlement is prepared (its seal signed) and written.
        const step = decideSettlement(this.settle, attempt, outcome);
        refused = step.next === "paused" && attempt.invoice.channel === "di";
        if (refused) this.refusedSellers.set(tenantId, (this.refusedSellers.get(tenantId) ?? 0) + 1);
        leaveWire();
        this.pump();
        return settleAttempt(this.settle, attempt, outcome, step);
      })
      .catch((error: unknown) => {
        this.problem("submission failed", error, invoiceId);
        return [] as ClaimedAttempt[];
      })
      .then((next) => {
        leaveWire();
        this.settled(invoiceId, next);
        if (refused) this.withdrawRefused(tenantId);
      });
    this.inflight.set(invoiceId, work);
  }

  /**
   * Settles attempts recorded and never posted: not_sent (the request was never written), nothing told to
   * FBR's breaker. Tried again later (the gateway stopping, a launch it could not log), or `paused` with a
   * seller FBR has just refused (withdrawRefused).
   */
  private withdraw(attempts: readonly ClaimedAttempt[], reason = STOPPING, paused = false): void {
    for (const attempt of attempts) {
      const invoiceId = attempt.invoice.id;
      const outcome: PostOutcome = { kind: "not_sent", reason };
      this.settling += 1;
      // Paused: held with the seller FBR refused, as the post FBR refused was (FBR answered, on that post).
      const step: NextStep = paused
        ? { next: "paused", fbrAnswered: true, why: reason }
        : decideSettlement(this.settle, attempt, outcome, false);
      const work = settleAttempt(this.settle, attempt, outcome, step)
        .catch((error: unknown) => {
          this.problem("withdrawing an attempt failed", error, invoiceId);
          return [] as ClaimedAttempt[];
        })
        .then((next) => this.settled(invoiceId, next));
      this.inflight.set(invoiceId, work);
    }
  }

  /**
   * FBR refused the seller's token and the settlement that pauses the seller is written: the seller's DI
   * attempts waiting for a slot are withdrawn rather than posted with a token FBR refuses. Their invoices
   * are paused with the seller's others, and go again when the seller is resumed (a new token).
   */
  private withdrawRefused(tenantId: string): void {
    const left = (this.refusedSellers.get(tenantId) ?? 1) - 1;
    if (left > 0) this.refusedSellers.set(tenantId, left);
    else this.refusedSellers.delete(tenantId);
    const refused = (attempt: ClaimedAttempt) =>
      attempt.tenant.id === tenantId && attempt.invoice.channel === "di";
    const withdrawn = this.ready.filter(refused);
    if (withdrawn.length === 0) return;
    this.ready.splice(0, this.ready.length, ...this.ready.filter((attempt) => !refused(attempt)));
    this.withdraw(withdrawn, REFUSED, true);
  }

  /** An attempt's settlement is written (or failed): its claim is let go and what it recorded is offered. */
  private settled(invoiceId: string, next: readonly ClaimedAttempt[]): void {
    this.settling -= 1;
    this.inflight.delete(invoiceId);
    this.inflightClaims.delete(invoiceId);
    for (const attempt of next) this.offer(attempt);
    this.pump();
    this.kick();
  }
}
