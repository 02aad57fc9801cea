// Inspection routes for tests and demos, under /__sim/ (absent when started with inspect: false).
// They are the simulator's own API, not FBR's: plain JSON, no auth.
import type { FastifyInstance } from "fastify";
import type { FaultEngine } from "./faults.ts";
import { faultConfigSchema } from "./faults.ts";
import type { InvoiceStore } from "./store.ts";

export interface InspectionDeps {
  store: InvoiceStore;
  faults: FaultEngine;
  reset: () => void;
}

export function registerInspectionRoutes(app: FastifyInstance, deps: InspectionDeps): void {
  app.get("/__sim/health", async () => ({ ok: true }));

  /** Every accepted invoice; postCount > 1 means the same payload was accepted more than once. */
  app.get("/__sim/invoices", async (request) => {
    const channel = (request.query as { channel?: string }).channel;
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
      const where = issue?.path.join(".") ?? "";
      const detail =
        issue?.code === "unrecognized_keys"
          ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}`
          : issue?.message;
      return reply.code(400).send({ simulatorError: `fault config${where ? ` ${where}` : ""}: ${detail}` });
    }
    deps.faults.configure(parsed.data);
    return { faults: deps.faults.current() };
  });
}
