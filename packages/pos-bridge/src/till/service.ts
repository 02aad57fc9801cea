// The bridge's behaviour at the till, independent of HTTP: decode and validate the IMS model, journal the
// sale, try FBR within the till's bound, and answer with FBR's number, every problem, or the provisional
// reply. The HTTP face (http.ts) only maps requests to these calls.
import { EventEmitter } from "node:events";
import type { ImsAuthority, ImsCheck, ImsInvoice, PostOutcome } from "@raseed/sdk";
import { checkImsInvoice } from "@raseed/sdk";
import type { BridgeConfig, ReceiptConfig, TillConfig } from "../config.ts";
import type { JournaledSale, SaleJournal } from "../journal/journal.ts";
import { hashPayload } from "../journal/journal.ts";
import type { ReceiptInput } from "../receipts/index.ts";
import type { BridgeLogger } from "../telemetry.ts";
import { BridgeMetrics } from "../telemetry.ts";
import type { ImsUpstream, SaleUploadResult } from "../upload/uploader.ts";
import { SaleUploader } from "../upload/uploader.ts";
import {
  BRIDGE_REPLY_CODES,
  type BridgeProblem,
  type BridgeReply,
  encodeImsInvoice,
  errorReply,
  invalidDataReply,
  problemsFromValidationIssues,
  provisionalReply,
  sameSaleSubstance,
  successReply,
} from "./protocol.ts";

/** Which till a listener serves: the shared port routes by the POSID field, a till's own port is that till. */
export interface ListenerScope {
  /** The till this listener belongs to (its own port), if any. */
  fixedPosId?: number;
}

export interface BridgeAnswer {
  status: number;
  reply: BridgeReply;
}

export type BridgeSettings = Pick<
  BridgeConfig,
  | "tills"
  | "tillTimeoutMs"
  | "maxBackoffMs"
  | "pollIntervalMs"
  | "uploadConcurrency"
  | "backlogWarningMs"
  | "backlogCheckIntervalMs"
>;

export interface PosBridgeDeps {
  settings: BridgeSettings;
  journal: SaleJournal;
  /** Builds the upstream for one till (the sdk's ImsClient in production, anything in tests). */
  createUpstream(till: TillConfig): ImsUpstream;
  logger: BridgeLogger;
  /** Business details for receipts. */
  receipt?: ReceiptConfig;
  /** The revenue authority the tills report to, named on receipts (default FBR). */
  imsAuthority?: ImsAuthority;
  now?: () => number;
}

/**
 * What the bridge tells listeners in-process: each upload attempt once the journal holds its outcome, and
 * each pass of the background upload loop. Tests wait on these instead of the clock; listeners must not throw.
 */
export interface BridgeEventMap {
  attempt: [{ posId: number; usin: string; outcome: PostOutcome["kind"] }];
  "loop-pass": [];
}

const TIMED_OUT = Symbol("timed out");

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export class PosBridge {
  readonly journal: SaleJournal;
  readonly metrics = new BridgeMetrics();
  readonly events = new EventEmitter<BridgeEventMap>();
  readonly uploader: SaleUploader;
  readonly #settings: BridgeSettings;
  readonly #receipt: ReceiptConfig;
  readonly #imsAuthority: ImsAuthority;
  readonly #logger: BridgeLogger;
  readonly #now: () => number;
  readonly #tills = new Map<number, TillConfig>();
  readonly #upstreams = new Map<number, ImsUpstream>();
  /** Per till: FBR was unreachable and the next retry is not due before this time. */
  readonly #unreachableUntil = new Map<number, number>();
  /** Tills whose token FBR refused: their queue is paused until the bridge restarts with new credentials. */
  readonly #credentialsRefused = new Set<number>();
  #backlogTimer: NodeJS.Timeout | undefined;
  /** Sales being answered now (GetInvoiceNumberByModel calls not yet returned). */
  #answering = 0;

  constructor(deps: PosBridgeDeps) {
    this.journal = deps.journal;
    this.#settings = deps.settings;
    this.#receipt = deps.receipt ?? {};
    this.#imsAuthority = deps.imsAuthority ?? "fbr";
    this.#logger = deps.logger;
    this.#now = deps.now ?? Date.now;
    for (const till of deps.settings.tills) {
      this.#tills.set(till.posId, till);
      this.#upstreams.set(till.posId, deps.createUpstream(till));
    }
    this.uploader = new SaleUploader({
      journal: this.journal,
      upstreamFor: (posId) => this.#upstreams.get(posId),
      activePosIds: () =>
        this.tills.map((till) => till.posId).filter((posId) => !this.#credentialsRefused.has(posId)),
      logger: deps.logger,
      maxBackoffMs: deps.settings.maxBackoffMs,
      concurrency: deps.settings.uploadConcurrency,
      pollIntervalMs: deps.settings.pollIntervalMs,
      now: this.#now,
      events: {
        onAttempt: (sale, outcome) => {
          this.metrics.recordAttempt(outcome);
          if (outcome === "unauthorised") this.#credentialsRefused.add(sale.posId);
          if (outcome === "not_sent" || outcome === "throttled") {
            const next = this.journal.getSale(sale.id)?.nextAttemptAt ?? this.#now();
            this.#unreachableUntil.set(sale.posId, next);
          } else {
            this.#unreachableUntil.delete(sale.posId);
          }
          this.events.emit("attempt", { posId: sale.posId, usin: sale.usin, outcome });
        },
        onLoopPass: () => this.events.emit("loop-pass"),
      },
    });
    // One till's sale with nothing else under way: its two fsyncs need not cross to the thread pool.
    this.journal.flushInlineWhen(() => this.#answering + this.uploader.inFlightCount <= 1);
  }

  get tills(): readonly TillConfig[] {
    return [...this.#tills.values()];
  }

  /** Recovers from the previous run, then starts background uploads and the backlog watch. */
  start(): void {
    const recovered = this.journal.recoverAfterRestart(this.#now());
    if (recovered.inDoubt > 0) {
      this.#logger.warn(
        { inDoubt: recovered.inDoubt },
        "sales were being uploaded when the bridge stopped; they are in doubt: run `raseed pos-bridge reconcile`",
      );
    }
    if (recovered.released > 0) {
      this.#logger.info(
        { released: recovered.released },
        "held sales queued again with the current credentials",
      );
    }
    const orphaned = this.journal.orphanedSales(this.tills.map((till) => till.posId));
    if (orphaned > 0) {
      this.#logger.warn(
        { sales: orphaned },
        "journaled sales belong to POSIDs this bridge is not configured for; they wait until those tills are added back",
      );
    }
    this.uploader.start();
    this.checkBacklog();
    this.#backlogTimer = setInterval(() => this.checkBacklog(), this.#settings.backlogCheckIntervalMs);
    this.#backlogTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.#backlogTimer !== undefined) clearInterval(this.#backlogTimer);
    await this.uploader.stop();
  }

  /**
   * Warns when the oldest sale still on its way to FBR is older than the threshold: Rule 150XC expects
   * offline invoices reported within 24 hours. Returns the age in ms (0 with no backlog). In-doubt sales
   * wait for a person (`reconcile`), were warned about at start-up and have their own gauge.
   */
  checkBacklog(): number {
    const stats = this.journal.backlogStats();
    if (stats.oldestUnsettledAt === null) return 0;
    const ageMs = this.#now() - stats.oldestUnsettledAt;
    if (ageMs > this.#settings.backlogWarningMs) {
      this.#logger.warn(
        {
          oldestAgeHours: Number((ageMs / 3_600_000).toFixed(2)),
          pending: stats.byState.pending,
          inDoubt: stats.byState.in_doubt,
          held: stats.byState.held,
        },
        "unreported sales are getting old: FBR expects offline sales reported within 24 hours (Rule 150XC)",
      );
    }
    return ageMs;
  }

  metricsText(): Promise<string> {
    return this.metrics.render(this.journal.backlogStats(), this.#now(), this.#settings.backlogWarningMs);
  }

  /** `POST /api/IMSFiscal/GetInvoiceNumberByModel`. Never throws for bad input. */
  async getInvoiceNumberByModel(body: unknown, scope: ListenerScope): Promise<BridgeAnswer> {
    const started = performance.now();
    this.#answering += 1;
    try {
      const answer = await this.#answerSale(body, scope);
      // Whatever the answer rests on (the sale, its claim, FBR's verdict) is on disk before the till hears
      // it; concurrent sales share the fsync. A failed flush throws: the till is told to send the sale again.
      await this.journal.durable();
      this.metrics.recordReply(answer.reply.Code, (performance.now() - started) / 1000);
      return answer;
    } finally {
      this.#answering -= 1;
    }
  }

  async #answerSale(body: unknown, scope: ListenerScope): Promise<BridgeAnswer> {
    // One till on this listener (its own port, or the only till): the POS need not send POSID.
    const defaultPosId =
      scope.fixedPosId ?? (this.#tills.size === 1 ? [...this.#tills.keys()][0] : undefined);
    const checked = this.#checkSale(body, defaultPosId);
    // Which till the sale is for is known once it normalised; the listener's own rules check it then.
    const problems = [
      ...problemsFromValidationIssues(checked.issues),
      ...this.#tillProblems(checked.invoice?.POSID, scope),
    ];
    if (!checked.valid || checked.invoice === undefined || problems.length > 0)
      return { status: 200, reply: invalidDataReply(problems) };

    const invoice = checked.invoice;
    const payload = encodeImsInvoice(invoice);
    // A new sale is journaled and claimed for upload in one commit, unless FBR is known to be unreachable
    // right now (then the background loop sends it on schedule and the till is answered at once).
    const claimNow = !this.#knownUnreachable(invoice.POSID);
    const { sale, created, attemptId } = this.journal.recordAndClaim(
      invoice.POSID,
      invoice.USIN,
      payload,
      this.#now(),
      claimNow,
    );
    if (attemptId !== undefined) {
      return {
        status: 200,
        reply: await this.#replyAfterUpload(sale, this.uploader.uploadClaimedSale(sale, attemptId)),
      };
    }
    if (!created && sale.payloadHash !== hashPayload(payload)) {
      if (!sameSaleSubstance(sale.payload, payload)) return this.#answerDifferentSale(sale, payload);
      // Only DateTime (or InvoiceNumber) differs: the POS retrying the same sale; the first record stands.
      this.#logger.info(
        { posId: sale.posId, usin: sale.usin },
        "USIN repeated with different content (time only); answering with the sale first recorded under it",
      );
    }
    return { status: 200, reply: await this.#replyForSale(sale, true) };
  }

  /**
   * A different sale (items, totals, buyer, type, RefUSIN) under a USIN already used. If FBR rejected the
   * first one it issued no number, so the correction replaces it and is uploaded. Otherwise the USIN belongs
   * to a sale FBR has (or may have): answering with its number would print another sale's fiscal number,
   * and uploading would report a second sale under one USIN, so the till gets Code 107 and nothing is sent.
   */
  async #answerDifferentSale(sale: JournaledSale, payload: string): Promise<BridgeAnswer> {
    if (sale.state === "rejected" && this.journal.replaceRejectedPayload(sale.id, payload, this.#now())) {
      this.#logger.info(
        { posId: sale.posId, usin: sale.usin },
        "corrected sale under the USIN of a sale FBR rejected; uploading the correction",
      );
      const replaced = this.journal.getSale(sale.id) ?? sale;
      return { status: 200, reply: await this.#replyForSale(replaced, true) };
    }
    this.#logger.warn(
      { posId: sale.posId, usin: sale.usin, state: sale.state },
      "USIN already used for a different sale; refused with code 107, nothing uploaded",
    );
    return {
      status: 200,
      reply: errorReply(BRIDGE_REPLY_CODES.usinConflict, "USIN already used for a different sale", [
        {
          Code: "RIMS03",
          Field: "USIN",
          Path: "USIN",
          Item: null,
          Message: `USIN ${sale.usin} already belongs to another sale of POSID ${sale.posId} (items, totals, buyer, type or RefUSIN differ).`,
          Fix: "Give each sale its own USIN; resend the original sale unchanged to get its number.",
        },
      ]),
    };
  }

  /**
   * The sdk's one IMS normalisation and rules (the gateway, the simulator and the CLI run the same).
   * Bad input must never become a bridge failure, so a throwing check is a problem.
   */
  #checkSale(body: unknown, defaultPosId: number | undefined): ImsCheck {
    try {
      return checkImsInvoice(body, defaultPosId === undefined ? {} : { defaultPosId });
    } catch (error) {
      this.#logger.warn(
        { error: String(error) },
        "IMS validation failed on this request; answered as invalid data",
      );
      return {
        valid: false,
        issues: [
          {
            code: "RIMS01",
            level: "header",
            field: "",
            path: "",
            message: "The invoice could not be checked; send the IMS invoice model as FBR documents it.",
            fix: "",
          },
        ],
      };
    }
  }

  #tillProblems(posId: number | undefined, scope: ListenerScope): BridgeProblem[] {
    if (posId === undefined) return [];
    if (scope.fixedPosId !== undefined && posId !== scope.fixedPosId) {
      return [
        {
          Code: "RIMS02",
          Field: "POSID",
          Path: "POSID",
          Item: null,
          Message: `This port serves POSID ${scope.fixedPosId}; the request says POSID ${posId}.`,
          Fix: `Send POSID ${scope.fixedPosId}, or point this till at its own port.`,
        },
      ];
    }
    if (!this.#tills.has(posId)) {
      return [
        {
          Code: "RIMS02",
          Field: "POSID",
          Path: "POSID",
          Item: null,
          Message: `POSID ${posId} is not registered with this bridge.`,
          Fix: `Use one of: ${[...this.#tills.keys()].join(", ")}, or add the till to the bridge's configuration.`,
        },
      ];
    }
    return [];
  }

  #knownUnreachable(posId: number): boolean {
    // A refused token is not retried per sale: every attempt would be refused the same way.
    if (this.#credentialsRefused.has(posId)) return true;
    const until = this.#unreachableUntil.get(posId);
    return until !== undefined && until > this.#now();
  }

  /** Waits for an upload within the till's bound, then answers from the journal. */
  async #replyAfterUpload(sale: JournaledSale, upload: Promise<SaleUploadResult>): Promise<BridgeReply> {
    const result = await withDeadline(upload, this.#settings.tillTimeoutMs);
    if (result === TIMED_OUT) {
      this.#logger.info(
        { posId: sale.posId, usin: sale.usin, waitedMs: this.#settings.tillTimeoutMs },
        "FBR did not answer within the till's wait; provisional reply, upload continues",
      );
    }
    // FBR's number as the journal just recorded it (the upload resolves "accepted" only after its settle
    // committed): no read back on the sale's path. Anything else is answered from the journal.
    if (result !== TIMED_OUT && result.kind === "accepted") return successReply(result.fbrInvoiceNumber);
    return this.#replyForSale(this.journal.getSale(sale.id) ?? sale, false, true);
  }

  /**
   * The reply for a journaled sale. With `mayUpload`, a pending sale is tried now (bounded by the till's
   * wait); an upload already on the wire for it is waited for, never raced.
   */
  async #replyForSale(sale: JournaledSale, mayUpload: boolean, toTill = mayUpload): Promise<BridgeReply> {
    let current = sale;
    if (mayUpload && (current.state === "pending" || current.state === "uploading")) {
      const upload = this.#startOrJoinUpload(current);
      if (upload !== undefined) return this.#replyAfterUpload(current, upload);
      current = this.journal.getSale(current.id) ?? current;
    }
    switch (current.state) {
      case "accepted":
        return successReply(current.fbrInvoiceNumber ?? "");
      case "rejected":
        return errorReply(
          current.rejectionCode ?? BRIDGE_REPLY_CODES.invalidData,
          current.rejectionMessage ?? "Invalid data received",
          current.rejectionProblems ?? [],
        );
      default:
        // Only a reply to the till makes the sale provisional; a look-up merely reports it.
        if (toTill && !current.provisional) this.journal.markProvisional(current.id);
        return provisionalReply(current.usin);
    }
  }

  #startOrJoinUpload(sale: JournaledSale): Promise<SaleUploadResult> | undefined {
    const inFlight = this.uploader.inFlight(sale.id);
    if (inFlight !== undefined) return inFlight;
    if (sale.state !== "pending") return undefined;
    // FBR was unreachable moments ago and the retry is not yet due: answer at once instead of making the
    // cashier wait; the background loop retries on schedule.
    if (this.#knownUnreachable(sale.posId)) {
      this.uploader.wake();
      return undefined;
    }
    return this.uploader.uploadSale(sale);
  }

  /**
   * What to print for a journaled sale (`GET /api/IMSFiscal/Receipt`, Raseed's extension): the fiscal
   * receipt once FBR has issued the number, a provisional one before. A rejected sale has no receipt.
   */
  receiptFor(
    usin: string | undefined,
    posIdText: string | undefined,
  ): { ok: true; input: ReceiptInput } | { ok: false; answer: BridgeAnswer } {
    const found = this.#findOneSale(usin, posIdText);
    if (!found.ok) return found;
    const sale = found.sale;
    if (sale.state === "rejected") {
      return {
        ok: false,
        answer: {
          status: 409,
          reply: errorReply(
            sale.rejectionCode ?? BRIDGE_REPLY_CODES.invalidData,
            "FBR rejected this sale; it has no receipt.",
            sale.rejectionProblems ?? [],
          ),
        },
      };
    }
    const input: ReceiptInput = {
      invoice: JSON.parse(sale.payload) as ImsInvoice,
      fiscalInvoiceNumber: sale.state === "accepted" ? sale.fbrInvoiceNumber : null,
      business: this.#receipt,
    };
    if (this.#receipt.qrSizeMm !== undefined) input.qrSizeMm = this.#receipt.qrSizeMm;
    if (this.#imsAuthority !== "fbr") input.authority = this.#imsAuthority;
    return { ok: true, input };
  }

  #findOneSale(
    usin: string | undefined,
    posIdText: string | undefined,
  ): { ok: true; sale: JournaledSale } | { ok: false; answer: BridgeAnswer } {
    if (usin === undefined || usin.trim() === "") {
      return {
        ok: false,
        answer: {
          status: 400,
          reply: invalidDataReply([
            {
              Code: "RIMS03",
              Field: "USIN",
              Path: "usin",
              Item: null,
              Message: "Pass the sale's USIN: ?usin=...",
            },
          ]),
        },
      };
    }
    let sales = this.journal.findSalesByUsin(usin.trim());
    if (posIdText !== undefined && posIdText.trim() !== "") {
      // A POSID is a positive whole number; "abc" is a bad request, not "no such sale".
      if (!/^\d+$/.test(posIdText.trim()) || Number(posIdText) <= 0) {
        return {
          ok: false,
          answer: {
            status: 400,
            reply: invalidDataReply([
              {
                Code: "RIMS02",
                Field: "POSID",
                Path: "posid",
                Item: null,
                Message: `posid ${JSON.stringify(posIdText)} is not a POSID; send the till's POSID as a positive whole number.`,
              },
            ]),
          },
        };
      }
      const posId = Number(posIdText);
      sales = sales.filter((sale) => sale.posId === posId);
    }
    if (sales.length > 1) {
      return {
        ok: false,
        answer: {
          status: 400,
          reply: invalidDataReply([
            {
              Code: "RIMS02",
              Field: "POSID",
              Path: "posid",
              Item: null,
              Message: `USIN ${usin} exists for several tills (${sales.map((s) => s.posId).join(", ")}); add &posid=...`,
            },
          ]),
        },
      };
    }
    const sale = sales[0];
    if (sale === undefined) {
      return {
        ok: false,
        answer: {
          status: 404,
          reply: errorReply(
            BRIDGE_REPLY_CODES.unknownSale,
            `No sale with USIN ${usin} in this bridge's journal.`,
            [],
          ),
        },
      };
    }
    return { ok: true, sale };
  }

  /** `GET /api/IMSFiscal/GetInvoiceNumberByUSIN?usin=...[&posid=...]` (Raseed's extension). */
  async getInvoiceNumberByUsin(
    usin: string | undefined,
    posIdText: string | undefined,
  ): Promise<BridgeAnswer> {
    const found = this.#findOneSale(usin, posIdText);
    if (!found.ok) return found.answer;
    // A look-up never uploads: it reports the journal, and a POS polling it cannot cause a second post.
    const reply = await this.#replyForSale(found.sale, false);
    // It may report a write still being flushed (another till's sale settling): not before it is on disk.
    await this.journal.durable();
    return { status: 200, reply };
  }
}
