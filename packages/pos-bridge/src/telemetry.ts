// Logs (JSON lines, secrets redacted by the sdk's one list) and Prometheus metrics for the bridge. The
// metrics are few and hand-written in the text exposition format, so the bridge needs no metrics library.
import { redactSecrets } from "@raseed/sdk";
import type { BridgeConfig } from "./config.ts";
import type { BacklogStats, SaleState } from "./journal.ts";
import type { BridgeLogger } from "./upload.ts";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;

/** A JSON-lines logger; every object goes through `redactSecrets` so a token can never reach the log. */
export function createJsonLogger(
  level: BridgeConfig["logLevel"],
  write: (line: string) => void = (line) => process.stderr.write(line),
): BridgeLogger {
  const threshold = LEVELS[level];
  const emit = (name: "info" | "warn" | "error", object: object, message: string): void => {
    if (LEVELS[name] < threshold) return;
    const entry = {
      time: new Date().toISOString(),
      level: name,
      msg: message,
      ...(redactSecrets(object) as object),
    };
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    info: (object, message) => emit("info", object, message),
    warn: (object, message) => emit("warn", object, message),
    error: (object, message) => emit("error", object, message),
  };
}

/** Till reply latency buckets, in seconds: the till's bound (default 4 s) sits inside them. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export class BridgeMetrics {
  readonly #replies = new Map<string, number>();
  readonly #attempts = new Map<string, number>();
  readonly #latencyCounts = LATENCY_BUCKETS.map(() => 0);
  #latencySum = 0;
  #latencyCount = 0;

  /** One reply to a POS's GetInvoiceNumberByModel, by reply code, with how long the till waited. */
  recordReply(code: string, seconds: number): void {
    this.#replies.set(code, (this.#replies.get(code) ?? 0) + 1);
    this.#latencySum += seconds;
    this.#latencyCount += 1;
    LATENCY_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) this.#latencyCounts[index] = (this.#latencyCounts[index] ?? 0) + 1;
    });
  }

  recordAttempt(outcome: string): void {
    this.#attempts.set(outcome, (this.#attempts.get(outcome) ?? 0) + 1);
  }

  render(backlog: BacklogStats, now: number, backlogWarningMs: number): string {
    const lines: string[] = [];
    const oldestAge =
      backlog.oldestUnsettledAt === null ? 0 : Math.max(0, (now - backlog.oldestUnsettledAt) / 1000);
    lines.push(
      "# HELP raseed_pos_bridge_replies_total Replies to GetInvoiceNumberByModel by reply Code (100 fiscal, 150 provisional).",
      "# TYPE raseed_pos_bridge_replies_total counter",
    );
    for (const [code, count] of [...this.#replies].sort()) {
      lines.push(`raseed_pos_bridge_replies_total{code="${escapeLabel(code)}"} ${count}`);
    }
    lines.push(
      "# HELP raseed_pos_bridge_upload_attempts_total Upload attempts to FBR by classified outcome.",
      "# TYPE raseed_pos_bridge_upload_attempts_total counter",
    );
    for (const [outcome, count] of [...this.#attempts].sort()) {
      lines.push(`raseed_pos_bridge_upload_attempts_total{outcome="${escapeLabel(outcome)}"} ${count}`);
    }
    lines.push(
      "# HELP raseed_pos_bridge_sales Journaled sales by state.",
      "# TYPE raseed_pos_bridge_sales gauge",
    );
    for (const [state, count] of Object.entries(backlog.byState) as [SaleState, number][]) {
      lines.push(`raseed_pos_bridge_sales{state="${state}"} ${count}`);
    }
    const unsettled =
      backlog.byState.pending + backlog.byState.uploading + backlog.byState.in_doubt + backlog.byState.held;
    lines.push(
      "# HELP raseed_pos_bridge_backlog_sales Sales not yet acknowledged by FBR (pending, uploading, in doubt, held).",
      "# TYPE raseed_pos_bridge_backlog_sales gauge",
      `raseed_pos_bridge_backlog_sales ${unsettled}`,
      "# HELP raseed_pos_bridge_backlog_oldest_age_seconds Age of the oldest sale FBR has not acknowledged (Rule 150XC: report offline sales within 24 h).",
      "# TYPE raseed_pos_bridge_backlog_oldest_age_seconds gauge",
      `raseed_pos_bridge_backlog_oldest_age_seconds ${oldestAge.toFixed(3)}`,
      "# HELP raseed_pos_bridge_backlog_over_threshold 1 when the oldest unacknowledged sale is older than the warning threshold.",
      "# TYPE raseed_pos_bridge_backlog_over_threshold gauge",
      `raseed_pos_bridge_backlog_over_threshold ${oldestAge * 1000 > backlogWarningMs ? 1 : 0}`,
      "# HELP raseed_pos_bridge_provisional_sales_total Sales answered with the provisional reply.",
      "# TYPE raseed_pos_bridge_provisional_sales_total counter",
      `raseed_pos_bridge_provisional_sales_total ${backlog.provisionalTotal}`,
      "# HELP raseed_pos_bridge_till_reply_seconds How long the till waited for GetInvoiceNumberByModel.",
      "# TYPE raseed_pos_bridge_till_reply_seconds histogram",
    );
    LATENCY_BUCKETS.forEach((bound, index) => {
      lines.push(
        `raseed_pos_bridge_till_reply_seconds_bucket{le="${bound}"} ${this.#latencyCounts[index] ?? 0}`,
      );
    });
    lines.push(
      `raseed_pos_bridge_till_reply_seconds_bucket{le="+Inf"} ${this.#latencyCount}`,
      `raseed_pos_bridge_till_reply_seconds_sum ${this.#latencySum.toFixed(6)}`,
      `raseed_pos_bridge_till_reply_seconds_count ${this.#latencyCount}`,
    );
    return `${lines.join("\n")}\n`;
  }
}
