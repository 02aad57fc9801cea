// The submission worker's loop: claims due outbox rows under a lease and records the attempt BEFORE
// posting (one transaction per batch), hands each to dispatch.ts (DI or IMS) and settle.ts, keeps leases
// alive while posts are in flight, and runs recover.ts for abandoned leases. The loop never throws: every
// failure becomes a "worker.problem" event and the loop carries on.
//
// Keeping every slot busy (issue 11): a slot is one post on the wire. It is freed the moment FBR answers
// (the settlement commits on its own, grouped with others), and a few attempts are claimed and recorded
// ahead of need (`claimAhead`), so a freed slot starts the next post at once instead of waiting for a
// settlement's commit and a claim round's commit (each an fsync) first.
import type { GatewayEvents } from "../events.ts";
import { markSubmitting } from "../invoices/lifecycle.ts";
import type { Store } from "../store/database.ts";
import { GroupCommitter } from "../store/group-commit.ts";
import { newId } from "../store/ids.ts";
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
  type NewAttempt,
  releaseOutboxLease,
  renewOutboxLeases,
} from "./outbox-sql.ts";
import { type RecoverContext, recoverLeases, WORKABLE_STATES } from "./recover.ts";
import { type SettleContext, settleAttempt } from "./settle.ts";

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
  /**
   * Attempts claimed and recorded ahead of a free slot (default workerConcurrency / 4, at least 2). Such an
   * attempt is recorded before it is posted, like every attempt: if the process dies first, recovery
   * cannot tell it from a post on the wire and settles it in_doubt, so this also bounds how many unsent
   * invoices a crash can leave in doubt beyond those in flight.
   */
  claimAhead?: number;
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
}

const RECOVERY_INTERVAL_MS = 1_000;

export class OutboxWorker {
  readonly instanceId: string;
  readonly breaker: CircuitBreaker;
  /** Invoice id → its post and settlement, from launch until settled. */
  private readonly inflight = new Map<string, Promise<void>>();
  /**
   * Invoice id → the claim id its outbox lease is held under, from its claim until it is settled (waiting
   * for a slot, on the wire, or settling): the heartbeat renews these and recovery leaves them alone.
   */
  private readonly inflightClaims = new Map<string, string>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Recorded attempts waiting for a free slot, oldest first. */
  private readonly ready: ClaimedAttempt[] = [];
  /** Posts on the wire (the slots in use), in all and per tenant. */
  private posting = 0;
  private readonly postingByTenant = new Map<string, number>();
  /** Claimed and not yet answered (waiting for a slot or on the wire), per tenant. */
  private readonly heldByTenant = new Map<string, number>();
  private readonly claimAhead: number;
  /** Called whenever nothing is waiting or in flight any more (stop() waits on it). */
  private onIdle: (() => void) | undefined;
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
    this.claimAhead = deps.options.claimAhead ?? Math.max(2, Math.ceil(deps.options.workerConcurrency / 4));
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
    this.settle = {
      committer: this.committer,
      events: deps.events,
      breaker: this.breaker,
      actor,
      policy: { maxAttempts: options.maxAttempts, maxRetryDelayMs: options.maxRetryDelayMs },
    };
    this.recover = { store: deps.store, events: deps.events, actor, leaseMs: options.leaseMs, problem };
  }

  /** Attempts launched and not yet settled. */
  get inFlight(): number {
    return this.inflight.size;
  }

  /** Posts on the wire now (never more than workerConcurrency). */
  get postsInFlight(): number {
    return this.posting;
  }

  /** Attempts claimed and recorded, waiting for a free slot. */
  get waiting(): number {
    return this.ready.length;
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

  /**
   * Starts a claim round now, in this turn, when none is running: its transaction then joins the group
   * commit of the settlement just queued, so an answer costs one commit (an fsync), not two.
   */
  private claimNow(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.tickRequested = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.runTick();
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
    // A claim round in progress may still record attempts: let it. Recorded attempts are posted as slots
    // free (never left unsent, which recovery would have to call in doubt); then wait for them all.
    await this.currentTick;
    const unfinished = () => this.inflight.size + this.ready.length;
    if (unfinished() === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      return { drained: true, unfinished: 0 };
    }
    let timeout: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timeout = setTimeout(() => resolve("deadline"), deadlineMs);
    });
    const idle = new Promise<"idle">((resolve) => {
      this.onIdle = () => resolve("idle");
    });
    const result = await Promise.race([idle, deadline]);
    this.onIdle = undefined;
    if (timeout !== undefined) clearTimeout(timeout);
    // Attempts still running (or waiting) past the deadline stop being renewed: their leases run out and
    // recovery (the next start, or another instance) settles them.
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    return { drained: result !== "deadline", unfinished: unfinished() };
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
      // Attempts recorded earlier may be waiting for the breaker (half-open now lets a probe go).
      this.pump();
      const free = this.claimRoom();
      if (free > 0) {
        const { attempts, claimed } = await this.claimAndRecord(free);
        claimedFullBatch = claimed === free;
        for (const attempt of attempts) this.hold(attempt);
        this.pump();
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
   * How many rows the next claim round may take: enough to fill every slot and keep `claimAhead` recorded
   * attempts waiting. Rounds are not run for fewer than half of `claimAhead` while attempts are still
   * waiting (each round is a transaction of its own). While the breaker is not closed, only what it
   * permits, and nothing ahead.
   */
  private claimRoom(): number {
    const { workerConcurrency } = this.deps.options;
    const permits = this.breaker.permits();
    if (permits !== Number.POSITIVE_INFINITY)
      return Math.max(0, Math.min(permits, workerConcurrency - this.posting) - this.ready.length);
    const room = workerConcurrency + this.claimAhead - this.posting - this.ready.length;
    const worthARound = this.ready.length === 0 || room >= Math.ceil(this.claimAhead / 2);
    return worthARound ? room : 0;
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
  private async claimAndRecord(limit: number): Promise<{ attempts: ClaimedAttempt[]; claimed: number }> {
    const { engine } = this.deps.store;
    const { options } = this.deps;
    // One id per claim: a settlement counts only under the lease it was claimed with, so a row recovered
    // and re-claimed meanwhile (even by this process) is never settled by the older attempt's answer.
    const owner = `${this.instanceId}:${newId("clm")}`;
    // A tenant may hold its concurrency on the wire plus the attempts recorded ahead.
    const tenantLimit = options.tenantConcurrency + this.claimAhead;
    const saturated = [...this.heldByTenant.entries()]
      .filter(([, n]) => n >= tenantLimit)
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
      const batch = await loadClaimBatch(trx, rows);
      const perTenant = new Map(this.heldByTenant);
      const attempts: ClaimedAttempt[] = [];
      const records: NewAttempt[] = [];
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
        records.push({
          id: attemptId,
          invoiceId: invoice.id,
          tenantId: tenant.id,
          attemptNo: (batch.previousAttempts.get(invoice.id) ?? 0) + 1,
          url: attemptUrl(this.dispatch.transport, invoice, tenant, terminal),
          requestBody: redactBody(invoice.payload) ?? "",
        });
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
      // One insert for the round's attempt records, in the same transaction as the claims they record.
      await insertAttempts(trx, records);
      return { attempts, claimed: rows.length };
    });
  }

  /** A recorded attempt joins the queue for a slot; its lease is renewed from now on. */
  private hold(attempt: ClaimedAttempt): void {
    const tenantId = attempt.tenant.id;
    this.heldByTenant.set(tenantId, (this.heldByTenant.get(tenantId) ?? 0) + 1);
    this.inflightClaims.set(attempt.invoice.id, attempt.claimId);
    this.ready.push(attempt);
  }

  /**
   * Starts waiting attempts while slots are free, the breaker permits and their tenant is below its
   * concurrency (an attempt of a tenant at its limit lets the next tenant's go first). Runs after every
   * claim round and every answer, also while stopping: recorded attempts are posted, not left unsent.
   */
  private pump(): void {
    const { workerConcurrency, tenantConcurrency } = this.deps.options;
    let index = 0;
    while (index < this.ready.length && this.posting < workerConcurrency && this.breaker.permits() > 0) {
      const attempt = this.ready[index] as ClaimedAttempt;
      if ((this.postingByTenant.get(attempt.tenant.id) ?? 0) >= tenantConcurrency) {
        index += 1;
        continue;
      }
      this.ready.splice(index, 1);
      this.launch(attempt);
    }
  }

  private launch(attempt: ClaimedAttempt): void {
    const tenantId = attempt.tenant.id;
    const invoiceId = attempt.invoice.id;
    if (this.breaker.state === "half_open") this.breaker.startProbe();
    this.posting += 1;
    this.postingByTenant.set(tenantId, (this.postingByTenant.get(tenantId) ?? 0) + 1);
    let answered = false;
    // The slot is free once FBR has answered (or the post failed): the next waiting attempt starts now,
    // while this one's settlement waits for its commit.
    const freeSlot = () => {
      if (answered) return;
      answered = true;
      this.posting -= 1;
      decrement(this.postingByTenant, tenantId);
      decrement(this.heldByTenant, tenantId);
      this.pump();
      this.claimNow();
    };
    const work = dispatchAttempt(this.dispatch, attempt)
      .then((outcome) => {
        // settleAttempt records the outcome with the breaker before its first await, so the breaker
        // already knows this answer when freeSlot() starts the next post.
        const settled = settleAttempt(this.settle, attempt, outcome);
        freeSlot();
        return settled;
      })
      .catch((error: unknown) => this.problem("submission failed", error, invoiceId))
      .finally(() => {
        freeSlot();
        this.inflight.delete(invoiceId);
        this.inflightClaims.delete(invoiceId);
        if (this.inflight.size === 0 && this.ready.length === 0) this.onIdle?.();
      });
    this.inflight.set(invoiceId, work);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
