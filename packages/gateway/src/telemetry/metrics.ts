// Prometheus metrics on a registry of our own (not prom-client's global one), so several apps in one
// process (tests, scale-out demos) never collide. Store-derived gauges are computed at scrape time.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { GatewayEvents } from "../events.ts";
import { oldestOutboxCreatedAt } from "../outbox/outbox-sql.ts";
import type { Store } from "../store/database.ts";
import { invoiceStates } from "../store/schema.ts";

export interface GatewayMetrics {
  registry: Registry;
  submissions: Counter<"result">;
  fbrOutcomes: Counter<"outcome" | "code">;
  fbrLatency: Histogram<"outcome">;
  webhookFailures: Counter;
}

export function createMetrics(store: Store, events: GatewayEvents): GatewayMetrics {
  const registry = new Registry();
  const submissions = new Counter({
    name: "raseed_submissions_total",
    help: "Invoices received on POST /v1/invoices, by result (queued, replayed, invalid)",
    labelNames: ["result"],
    registers: [registry],
  });
  const fbrOutcomes = new Counter({
    name: "raseed_fbr_outcomes_total",
    help: "FBR post outcomes by classification and FBR error code (code is empty unless rejected)",
    labelNames: ["outcome", "code"],
    registers: [registry],
  });
  const fbrLatency = new Histogram({
    name: "raseed_fbr_call_duration_seconds",
    help: "Duration of FBR post calls",
    labelNames: ["outcome"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const webhookFailures = new Counter({
    name: "raseed_webhook_failures_total",
    help: "Webhook deliveries that failed (each failed try counts)",
    registers: [registry],
  });
  new Gauge({
    name: "raseed_invoices",
    help: "Invoices by state",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      const rows = await store.db
        .selectFrom("invoices")
        .select(["state", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy("state")
        .execute();
      for (const state of invoiceStates) {
        this.set({ state }, Number(rows.find((r) => r.state === state)?.n ?? 0));
      }
    },
  });
  new Gauge({
    name: "raseed_oldest_unreported_invoice_age_seconds",
    help: "Age of the oldest invoice still waiting to be reported to FBR (0 when none)",
    registers: [registry],
    async collect() {
      const oldest = await oldestOutboxCreatedAt(store.db);
      this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000));
    },
  });
  new Gauge({
    name: "raseed_tenants_paused",
    help: "Sellers whose queue is paused because FBR refused their token",
    registers: [registry],
    async collect() {
      const row = await store.db
        .selectFrom("tenants")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("paused_at", "is not", null)
        .executeTakeFirst();
      this.set(Number(row?.n ?? 0));
    },
  });

  events.on("fbr.call", (call) => {
    fbrLatency.observe({ outcome: call.outcome }, call.durationMs / 1000);
    if (call.errorCodes.length === 0) fbrOutcomes.inc({ outcome: call.outcome, code: "" });
    for (const code of call.errorCodes) fbrOutcomes.inc({ outcome: call.outcome, code });
  });
  events.on("webhook.failed", () => webhookFailures.inc());
  return { registry, submissions, fbrOutcomes, fbrLatency, webhookFailures };
}
