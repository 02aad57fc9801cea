// Uploads journaled sales to FBR's (or PRA's) IMS cloud, or to a Raseed gateway (gateway-upstream.ts), and
// settles each attempt by the sdk's outcome classification and nextStep (ARCHITECTURE.md "Outcome
// classification"). Runs inline for a sale at the till (bounded by the till wait) and as a background loop for
// everything still pending.
import type { ImsInvoice, PostOutcome } from "@raseed/sdk";
import { nextStep, redactSecrets } from "@raseed/sdk";
import type {
  JournaledSale,
  RejectionProblem,
  SaleJournal,
  UploadAttemptRecord,
} from "../journal/journal.ts";
import type { BridgeLogger } from "../telemetry.ts";

/** The one thing the uploader needs from upstream: the sdk's `ImsClient` satisfies it. */
export interface ImsUpstream {
  postData(invoice: ImsInvoice): Promise<PostOutcome>;
}

export interface UploadEvents {
  /** Called once per finished attempt with its classification, after the journal recorded it. */
  onAttempt?(sale: JournaledSale, outcome: PostOutcome["kind"], durationMs: number): void;
  /** Called after each pass of the background loop (it found nothing more to start, or every slot is busy). */
  onLoopPass?(): void;
}

export interface SaleUploaderOptions {
  journal: SaleJournal;
  /** The upstream for a POSID, or undefined when the bridge has no credentials for it. */
  upstreamFor(posId: number): ImsUpstream | undefined;
  /**
   * The tills the background loop uploads for now: sales of other POSIDs wait (no credentials, or FBR
   * refused them and the till's queue is paused).
   */
  activePosIds(): readonly number[];
  logger: BridgeLogger;
  /** Cap on the backoff between attempts of one sale (the sdk's delay grows exponentially with jitter). */
  maxBackoffMs?: number;
  /** How many sales the background loop uploads at once. */
  concurrency?: number;
  /** Longest sleep of the background loop when nothing is due. */
  pollIntervalMs?: number;
  events?: UploadEvents;
  now?: () => number;
}

/** What an upload attempt ended as, seen from the sale. */
export type SaleUploadResult =
  | { kind: "accepted"; fbrInvoiceNumber: string }
  | { kind: "rejected"; code: string; message: string; problems: RejectionProblem[] }
  | { kind: "provisional"; outcome: Exclude<PostOutcome["kind"], "accepted" | "rejected"> | "no_upstream" }
  | { kind: "not_claimed" };

interface FbrImsAnswer {
  Code?: unknown;
  Response?: unknown;
  Errors?: unknown;
}

function readFbrAnswer(body: string | undefined): FbrImsAnswer {
  if (body === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null ? (parsed as FbrImsAnswer) : {};
  } catch {
    return {};
  }
}

/** FBR's own `Errors` list when it is one (objects with Field and Message), kept as FBR wrote it. */
function problemsFromFbrErrors(errors: unknown): RejectionProblem[] | undefined {
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const problems: RejectionProblem[] = [];
  for (const error of errors) {
    if (typeof error !== "object" || error === null) return undefined;
    const { Code, Field, Message, Item } = error as Record<string, unknown>;
    if (typeof Message !== "string") return undefined;
    const field = typeof Field === "string" ? Field : "";
    problems.push({
      Code: typeof Code === "string" || typeof Code === "number" ? String(Code) : "",
      Field: field.replace(/^Items\[\d+\]\./, ""),
      Path: field,
      Item: typeof Item === "number" ? Item : itemFromPath(field),
      Message,
    });
  }
  return problems;
}

function itemFromPath(path: string): number | null {
  const match = /^Items\[(\d+)\]/i.exec(path);
  return match === null ? null : Number(match[1]) + 1;
}

function problemsFromOutcome(
  errors: readonly { code: string; message: string; item?: number }[],
): RejectionProblem[] {
  return errors.map((error) => ({
    Code: error.code,
    Field: "",
    Path: error.item === undefined ? "" : `Items[${error.item - 1}]`,
    Item: error.item ?? null,
    Message: error.message,
  }));
}

function attemptRecord(outcome: PostOutcome, reason?: string): UploadAttemptRecord {
  const exchange = outcome.exchange;
  const responseBody =
    exchange?.responseBody === undefined ? undefined : JSON.stringify(redactSecrets(exchange.responseBody));
  return {
    outcome: outcome.kind,
    httpStatus: exchange?.status,
    responseBody,
    reason,
    durationMs: exchange?.durationMs,
  };
}

export class SaleUploader {
  readonly #journal: SaleJournal;
  readonly #options: SaleUploaderOptions;
  readonly #now: () => number;
  readonly #maxBackoffMs: number;
  readonly #concurrency: number;
  readonly #pollIntervalMs: number;
  readonly #inFlight = new Map<number, Promise<SaleUploadResult>>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #loopBusy = false;
  #wakeRequested = false;
  /** The loop found every slot busy and stopped; the next upload to finish wakes it. */
  #waitingForSlot = false;

  constructor(options: SaleUploaderOptions) {
    this.#journal = options.journal;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#pollIntervalMs = Math.max(10, options.pollIntervalMs ?? 1000);
  }

  /** The upload under way for a sale, if any, so a repeated request can wait for it instead of racing it. */
  inFlight(saleId: number): Promise<SaleUploadResult> | undefined {
    return this.#inFlight.get(saleId);
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  /** Claims a pending sale and uploads it once. Never throws: failures become a settled state. */
  uploadSale(sale: JournaledSale): Promise<SaleUploadResult> {
    const existing = this.#inFlight.get(sale.id);
    if (existing !== undefined) return existing;
    const upstream = this.#options.upstreamFor(sale.posId);
    if (upstream === undefined) return Promise.resolve({ kind: "provisional", outcome: "no_upstream" });
    const attemptId = this.#journal.claimForUpload(sale.id, this.#now());
    if (attemptId === undefined) return Promise.resolve({ kind: "not_claimed" });
    // The claim counted this attempt; the snapshot is from before it.
    return this.#startUpload(
      { ...sale, state: "uploading", attempts: sale.attempts + 1 },
      attemptId,
      upstream,
    );
  }

  /** Uploads a sale the caller already claimed (`SaleJournal.recordAndClaim`). Never throws. */
  uploadClaimedSale(sale: JournaledSale, attemptId: number): Promise<SaleUploadResult> {
    const upstream = this.#options.upstreamFor(sale.posId);
    if (upstream === undefined) {
      // Not reachable for a till the bridge validated; park the sale rather than leave it "uploading".
      const now = this.#now();
      this.#journal.scheduleRetry(
        sale.id,
        attemptId,
        now + this.#maxBackoffMs,
        { outcome: "not_sent", reason: "no credentials for this POSID" },
        now,
      );
      return Promise.resolve({ kind: "provisional", outcome: "no_upstream" });
    }
    return this.#startUpload(sale, attemptId, upstream);
  }

  #startUpload(sale: JournaledSale, attemptId: number, upstream: ImsUpstream): Promise<SaleUploadResult> {
    const upload = this.#attempt(sale, attemptId, upstream).finally(() => {
      this.#inFlight.delete(sale.id);
      // A slot is free: if the background loop stopped for want of one, let it refill it. Otherwise its
      // timer is already set for the next due sale (no journal read on every sale's path).
      if (this.#running && this.#waitingForSlot) {
        this.#waitingForSlot = false;
        this.wake();
      }
    });
    this.#inFlight.set(sale.id, upload);
    return upload;
  }

  async #attempt(sale: JournaledSale, attemptId: number, upstream: ImsUpstream): Promise<SaleUploadResult> {
    try {
      // The claim must be on disk before anything is sent: a power cut then leaves the sale in doubt, never
      // pending (which would upload it again). One fsync covers every claim made meanwhile.
      await this.#journal.durable();
    } catch (error) {
      // Not sent. The sale stays "uploading" (in doubt at the next start: reconcile finds FBR never got it).
      this.#options.logger.error(
        { posId: sale.posId, usin: sale.usin, error: String(error) },
        "the journal could not be flushed to disk; the sale was not uploaded",
      );
      return { kind: "provisional", outcome: "in_doubt" };
    }
    const started = this.#now();
    let outcome: PostOutcome;
    try {
      outcome = await upstream.postData(JSON.parse(sale.payload) as ImsInvoice);
    } catch (error) {
      // The client classifies transport failures itself; an exception here is a bug in between, after the
      // request may have been written, so it is in doubt rather than retried.
      outcome = { kind: "in_doubt", reason: `upload failed unexpectedly: ${String(error)}` };
    }
    const now = this.#now();
    const duration = outcome.exchange?.durationMs ?? now - started;
    let result: SaleUploadResult;
    try {
      result = this.#settle(sale, attemptId, outcome, now);
    } catch (error) {
      // The journal could not record the answer (disk full, ...). The sale stays "uploading", which the
      // next start turns into in doubt: the answer is lost to us, never the sale.
      // An accepted answer's fiscal number is not a secret and may already be printed: log it and keep it on
      // the attempt if the journal still takes that write, so reconcile can show it.
      const fbrInvoiceNumber = outcome.kind === "accepted" ? outcome.invoiceNumber : undefined;
      this.#options.logger.error(
        {
          posId: sale.posId,
          usin: sale.usin,
          outcome: outcome.kind,
          ...(fbrInvoiceNumber === undefined ? {} : { fbrInvoiceNumber }),
          error: String(error),
        },
        fbrInvoiceNumber === undefined
          ? "could not record FBR's answer in the journal"
          : `could not record FBR's answer in the journal; FBR accepted it with fiscal number ${fbrInvoiceNumber}: record it with reconcile`,
      );
      if (fbrInvoiceNumber !== undefined) {
        try {
          this.#journal.recordAttemptAnswer(
            attemptId,
            attemptRecord(outcome, `FBR accepted it with fiscal number ${fbrInvoiceNumber}`),
            now,
          );
        } catch {
          // The log line above carries the number.
        }
      }
      result = { kind: "provisional", outcome: "in_doubt" };
    }
    this.#options.events?.onAttempt?.(sale, outcome.kind, duration);
    return result;
  }

  /**
   * Records the attempt as the sdk's `nextStep` decides (the same decision as the gateway's outbox): the
   * bridge sets no attempt limit, since a till keeps every sale until FBR takes it.
   */
  #settle(sale: JournaledSale, attemptId: number, outcome: PostOutcome, now: number): SaleUploadResult {
    const log = this.#options.logger;
    const who = { posId: sale.posId, usin: sale.usin, attempt: sale.attempts };
    // sale.attempts already counts this attempt (the claim counted it).
    const step = nextStep(outcome, sale.attempts, { maxRetryDelayMs: this.#maxBackoffMs });
    switch (step.next) {
      case "accepted": {
        const fbrInvoiceNumber = outcome.kind === "accepted" ? outcome.invoiceNumber : "";
        // FBR answers again: sales waiting out a backoff for this till go now, not minutes later.
        const { madeDue } = this.#journal.settleAccepted(
          sale.id,
          attemptId,
          fbrInvoiceNumber,
          attemptRecord(outcome),
          now,
        );
        // Debug, not info: every sale is in the journal (`raseed pos-bridge status`) and the metrics count
        // them; a line per sale at info was a synchronous write on each sale's path.
        log.debug?.({ ...who, fbrInvoiceNumber }, "sale accepted by FBR");
        if (madeDue > 0) this.wake();
        return { kind: "accepted", fbrInvoiceNumber };
      }
      case "rejected": {
        const answer = readFbrAnswer(outcome.exchange?.responseBody);
        const code =
          typeof answer.Code === "string" || typeof answer.Code === "number" ? String(answer.Code) : "102";
        const message = typeof answer.Response === "string" ? answer.Response : "Invalid data received";
        const problems =
          problemsFromFbrErrors(answer.Errors) ??
          problemsFromOutcome(outcome.kind === "rejected" ? outcome.errors : []);
        this.#journal.settleRejected(
          sale.id,
          attemptId,
          { code, message, problems },
          attemptRecord(outcome, message),
          now,
        );
        log.warn({ ...who, code, problems }, "sale rejected by FBR");
        return { kind: "rejected", code, message, problems };
      }
      case "retrying":
      case "failed": {
        // "failed" needs an attempt limit, which the bridge does not set; were it ever reached, the sale
        // still waits for FBR rather than being dropped.
        const delay = step.next === "retrying" ? step.delayMs : this.#maxBackoffMs;
        this.#journal.scheduleRetry(sale.id, attemptId, now + delay, attemptRecord(outcome, step.why), now);
        log.info(
          { ...who, outcome: outcome.kind, retryInMs: delay, reason: step.why },
          "upload will be retried",
        );
        this.wakeAt(now + delay);
        return { kind: "provisional", outcome: outcome.kind === "throttled" ? "throttled" : "not_sent" };
      }
      case "paused": {
        this.#journal.hold(sale.id, attemptId, attemptRecord(outcome, step.why), now);
        log.error(
          {
            ...who,
            reason: step.why,
            ...(outcome.kind === "unauthorised" ? { faultCode: outcome.faultCode } : {}),
          },
          "FBR refused this POS's credentials; its sales are held until the bridge restarts with a valid token",
        );
        return { kind: "provisional", outcome: "unauthorised" };
      }
      case "in_doubt": {
        this.#journal.markInDoubt(sale.id, attemptId, attemptRecord(outcome, step.why), now);
        log.warn(
          { ...who, reason: step.why },
          "upload in doubt (FBR may have it); not re-uploaded automatically, run `raseed pos-bridge reconcile`",
        );
        return { kind: "provisional", outcome: "in_doubt" };
      }
    }
  }

  // -- background loop ------------------------------------------------------------------------------------

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.wake();
  }

  /** Stops the loop and waits for uploads already on the wire to settle. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** Runs the loop as soon as possible. */
  wake(): void {
    this.wakeAt(this.#now());
  }

  wakeAt(at: number): void {
    if (!this.#running) return;
    if (this.#loopBusy) {
      this.#wakeRequested = true;
      return;
    }
    const delay = Math.max(0, Math.min(at - this.#now(), this.#pollIntervalMs));
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#runLoopOnce();
    }, delay);
    this.#timer.unref();
  }

  async #runLoopOnce(): Promise<void> {
    if (!this.#running || this.#loopBusy) return;
    this.#loopBusy = true;
    this.#wakeRequested = false;
    this.#waitingForSlot = false;
    try {
      for (;;) {
        const free = this.#concurrency - this.#inFlight.size;
        if (free <= 0) this.#waitingForSlot = true;
        if (free <= 0 || !this.#running) break;
        const due = this.#journal.dueSales(this.#now(), free, this.#options.activePosIds());
        if (due.length === 0) break;
        const uploads = due.map((sale) => this.uploadSale(sale));
        // Wait for the first to finish, then refill; the loop never throws (uploadSale never rejects).
        await Promise.race(uploads);
      }
    } catch (error) {
      this.#options.logger.error({ error: String(error) }, "background upload loop failed; retrying");
    } finally {
      this.#loopBusy = false;
      this.#options.events?.onLoopPass?.();
    }
    // Every slot busy: the next upload's completion wakes the loop again.
    if (this.#inFlight.size >= this.#concurrency) this.#waitingForSlot = true;
    if (!this.#running || this.#waitingForSlot) return;
    const nextDue = this.#wakeRequested
      ? this.#now()
      : (this.#journal.nextDueAt(this.#options.activePosIds()) ?? this.#now() + this.#pollIntervalMs);
    this.wakeAt(nextDue);
  }
}
