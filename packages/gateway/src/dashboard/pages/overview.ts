// The overview: where the tenant's invoices stand and what needs a person.
import { describeFbrError } from "@raseed/sdk";
import type { FastifyInstance } from "fastify";
import {
  countInvoicesByState,
  failingWebhooks,
  hourlyOutcomes,
  lastFbrContacts,
  oldestUnreported,
  topErrorCodes,
} from "../../invoices/invoice-reads.ts";
import { invoiceStates } from "../../store/schema.ts";
import { hourlyOutcomeChart } from "../chart.ts";
import { type DashboardDeps, render, signedIn } from "../context.ts";

/** FBR expects an invoice to be reported within 24 hours of the sale (FBR-SPEC: real-time reporting). */
const REPORTING_EXPECTATION_MS = 24 * 3_600_000;

export function registerOverviewPage(app: FastifyInstance, deps: DashboardDeps): void {
  const { db } = deps.store;
  app.get("/", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant } = signedIn(request);
    const now = new Date();
    const weekAgo = new Date(now.getTime() - 7 * 24 * 3_600_000).toISOString();
    const [counts, hourly, topCodes, oldest, contacts, webhooks] = await Promise.all([
      countInvoicesByState(db, tenant.id),
      hourlyOutcomes(db, tenant.id, weekAgo),
      topErrorCodes(db, tenant.id, weekAgo),
      oldestUnreported(db, tenant.id),
      lastFbrContacts(db, tenant.id),
      failingWebhooks(db, tenant.id),
    ]);
    const oldestAgeMs = oldest === undefined ? null : now.getTime() - Date.parse(oldest.created_at);
    return render(reply, request, "overview", {
      title: "Overview",
      states: invoiceStates.map((state) => ({ state, count: counts.get(state) ?? 0 })),
      chart: hourlyOutcomeChart(hourly, now),
      topCodes: topCodes.map((entry) => ({ ...entry, description: describeFbrError(entry.code) ?? null })),
      oldest:
        oldest === undefined
          ? null
          : { ...oldest, ageMs: oldestAgeMs, late: (oldestAgeMs ?? 0) > REPORTING_EXPECTATION_MS },
      breaker: deps.worker?.breaker.state ?? "unknown",
      contacts,
      paused: tenant.paused_at === null ? null : { at: tenant.paused_at, reason: tenant.paused_reason },
      webhooks,
    });
  });
}
