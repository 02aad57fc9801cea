// Inspection routes for tests and demos, under /__sim/ (absent when started with inspect: false).
// They are the simulator's own API, not FBR's: plain JSON, no auth.
import type { FastifyInstance } from "fastify";
import type { FaultEngine } from "./faults.ts";
import { faultConfigSchema, formatIssuePath, zodIssueText } from "./faults.ts";
import type { InvoiceStore } from "./store.ts";

export interface InspectionDeps {
  store: InvoiceStore;
  faults: FaultEngine;
  reset: () => void;
}

export function registerInspectionRoutes(app: FastifyInstance, deps: InspectionDeps): void {
  app.get("/__sim/health", async () => ({ ok: true }));

  /** Every accepted invoice; postCount > 1 means the same payload was accepted more than once. */
  app.get("/__sim/invoices", async (request, reply) => {
    const channel = (request.query as { channel?: unknown }).channel;
    if (channel !== undefined && channel !== "di" && channel !== "ims") {
      return reply.code(400).send({ simulatorError: 'channel must be "di" or "ims"' });
    }
    const invoices = deps.store
      .list()
      .filter((invoice) => channel === undefined || invoice.channel === channel);
    return { invoices };
  });

  app.post("/__sim/reset", async () => {
    deps.reset();
    return { reset: true };
  });

  app.get("/__sim/faults", async () => ({ faults: deps.faults.current() }));

  app.put("/__sim/faults", async (request, reply) => {
    const parsed = faultConfigSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? formatIssuePath(issue.path) : "";
      const detail = issue ? zodIssueText(issue) : "invalid";
      return reply.code(400).send({ simulatorError: `fault config${where ? ` ${where}` : ""}: ${detail}` });
    }
    deps.faults.configure(parsed.data);
    return { faults: deps.faults.current() };
  });
}
