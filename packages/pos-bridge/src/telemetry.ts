// Logs (pino JSON lines, secrets redacted by the sdk's one list) and Prometheus metrics (prom-client) for
// the bridge: the same two libraries the gateway uses, so operators read one log format and one metrics style.
import { redactSecrets } from "@raseed/sdk";
import { pino } from "pino";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { BridgeConfig } from "./config.ts";
import type { BacklogStats, SaleState } from "./journal/journal.ts";

/** Minimal structured logger (pino's shape: object first, then message). */
export interface BridgeLogger {
  /** Per-sale detail, off at the default level (info). Optional: a logger without it drops these lines. */
  debug?(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * A JSON-lines logger (pino; level names as text). Every object goes through `redactSecrets` so a token can
 * never reach the log. `write` receives each line; the default is stderr.
 */
export function createJsonLogger(
  level: BridgeConfig["logLevel"],
  write: (line: string) => void = (line) => process.stderr.write(line),
): BridgeLogger {
  return pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
    },
    { write },
  );
}

/** Till reply latency buckets, in seconds: the till's bound (default 4 s) sits inside them. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8];

/**
 * Journal states still on their way to FBR. In doubt is not among them: it waits for a person, has its own
 * gauges, and would keep the backlog above zero after every crash until someone reconciles.
 */
const UNSETTLED: readonly SaleState[] = ["pending", "uploading", "held"];

export class BridgeMetrics {
  readonly registry = new Registry();
  readonly #replies = new Counter({
    name: "raseed_pos_bridge_replies_total",
    help: "Replies to GetInvoiceNumberByModel by reply Code (100 fiscal, 150 provisional).",
    labelNames: ["code"],
    registers: [this.registry],
  });
  readonly #attempts = new Counter({
    name: "raseed_pos_bridge_upload_attempts_total",
    help: "Upload attempts to FBR by classified outcome.",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly #sales = new Gauge({
    name: "raseed_pos_bridge_sales",
    help: "Journaled sales by state.",
    labelNames: ["state"],
    registers: [this.registry],
  });
  readonly #backlog = new Gauge({
    name: "raseed_pos_bridge_backlog_sales",
    help: "Sales on their way to FBR (pending, uploading, held); in-doubt sales are counted apart.",
    registers: [this.registry],
  });
  readonly #inDoubt = new Gauge({
    name: "raseed_pos_bridge_in_doubt_sales",
    help: "Sales FBR may or may not have (a crash or a lost answer mid-upload): run `raseed pos-bridge reconcile`.",
    registers: [this.registry],
  });
  readonly #inDoubtOldestAge = new Gauge({
    name: "raseed_pos_bridge_in_doubt_oldest_age_seconds",
    help: "Age of the oldest in-doubt sale (0 with none).",
    registers: [this.registry],
  });
  readonly #oldestAge = new Gauge({
    name: "raseed_pos_bridge_backlog_oldest_age_seconds",
    help: "Age of the oldest sale FBR has not acknowledged (Rule 150XC: report offline sales within 24 h).",
    registers: [this.registry],
  });
  readonly #overThreshold = new Gauge({
    name: "raseed_pos_bridge_backlog_over_threshold",
    help: "1 when the oldest unacknowledged sale is older than the warning threshold.",
    registers: [this.registry],
  });
  // The journal keeps this count across restarts, so the counter is restated from it at each scrape.
  readonly #provisional = new Counter({
    name: "raseed_pos_bridge_provisional_sales_total",
    help: "Sales answered with the provisional reply (from the journal, so it survives restarts).",
    registers: [this.registry],
  });
  readonly #tillLatency = new Histogram({
    name: "raseed_pos_bridge_till_reply_seconds",
    help: "How long the till waited for GetInvoiceNumberByModel.",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** One reply to a POS's GetInvoiceNumberByModel, by reply code, with how long the till waited. */
  recordReply(code: string, seconds: number): void {
    this.#replies.inc({ code });
    this.#tillLatency.observe(seconds);
  }

  recordAttempt(outcome: string): void {
    this.#attempts.inc({ outcome });
  }

  /** The Prometheus text exposition, with the journal's backlog as of `now`. */
  async render(backlog: BacklogStats, now: number, backlogWarningMs: number): Promise<string> {
    const oldestAgeSeconds =
      backlog.oldestUnsettledAt === null ? 0 : Math.max(0, (now - backlog.oldestUnsettledAt) / 1000);
    for (const [state, count] of Object.entries(backlog.byState)) this.#sales.set({ state }, count);
    this.#backlog.set(UNSETTLED.reduce((sum, state) => sum + backlog.byState[state], 0));
    this.#inDoubt.set(backlog.byState.in_doubt);
    this.#inDoubtOldestAge.set(
      backlog.oldestInDoubtAt === null ? 0 : Math.max(0, (now - backlog.oldestInDoubtAt) / 1000),
    );
    this.#oldestAge.set(oldestAgeSeconds);
    this.#overThreshold.set(oldestAgeSeconds * 1000 > backlogWarningMs ? 1 : 0);
    this.#provisional.reset();
    this.#provisional.inc(backlog.provisionalTotal);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
