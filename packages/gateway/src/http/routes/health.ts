import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { ApiError, storeFaultMessage } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { describeRoute } from "../openapi.ts";
import { healthSchema, readySchema } from "../views.ts";

export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    "/healthz",
    {
      config: { public: true },
      schema: describeRoute("Liveness", {
        tags: ["operations"],
        public: true,
        responses: { 200: { description: "The process answers", json: healthSchema } },
      }),
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/readyz",
    {
      config: { public: true },
      schema: describeRoute("Readiness: the store is reachable and takes writes", {
        tags: ["operations"],
        public: true,
        responses: { 200: { description: "Ready for traffic", json: readySchema } },
        errors: { 503: ["store_unreachable", "store_full", "store_unavailable"] },
      }),
    },
    async () => {
      try {
        await sql`select 1`.execute(deps.store.db);
      } catch {
        throw new ApiError("store_unreachable", "the database cannot be reached");
      }
      // Reads can work while writes fail (a full disk): while the last write failed, try one; only a
      // committed write makes the gateway ready again.
      if (deps.store.health.current() !== undefined) await deps.store.health.probe();
      const fault = deps.store.health.current();
      if (fault !== undefined) {
        throw new ApiError(fault.code, storeFaultMessage(fault.code), { since: fault.since });
      }
      return { status: "ready", engine: deps.store.engine };
    },
  );

  app.get(
    "/metrics",
    {
      // Installation-wide figures (every tenant): only a key created with the metrics:read scope.
      config: { scope: "metrics:read" },
      schema: describeRoute("Prometheus metrics (API key with the metrics:read scope)", {
        tags: ["operations"],
        responses: { 200: { description: "Prometheus text exposition", media: "text/plain" } },
        errors: { 404: ["not_found"] },
      }),
    },
    async (_request, reply) => {
      if (deps.metrics === undefined) throw new ApiError("not_found", "metrics are not enabled");
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );
}
