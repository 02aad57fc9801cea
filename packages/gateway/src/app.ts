// buildApp(deps) builds the HTTP API; main.ts starts it (STYLE principle 7). Nothing here reads the
// environment: everything arrives in deps.
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance } from "fastify";
import { registerDashboard } from "./dashboard/index.ts";
import { ApiError } from "./http/api-error.ts";
import type { AppDeps } from "./http/deps.ts";
import { installApiKeyAuth } from "./http/middleware/auth.ts";
import { installErrorEnvelope } from "./http/middleware/error-envelope.ts";
import { installBoundedJsonParser } from "./http/middleware/json-body.ts";
import { SharedWindowCounter, sharedRateLimitStore } from "./http/middleware/shared-rate-limit.ts";
import { installOpenApi, installResponseObserver } from "./http/openapi.ts";
import { registerBuyerRoutes } from "./http/routes/buyers.ts";
import { registerCertificationRoutes } from "./http/routes/certification.ts";
import { registerDocumentRoutes } from "./http/routes/documents.ts";
import { registerHealthRoutes } from "./http/routes/health.ts";
import { registerImsInvoiceRoutes } from "./http/routes/ims-invoices.ts";
import { registerIncidentRoutes } from "./http/routes/incidents.ts";
import { registerInvoiceRoutes } from "./http/routes/invoices.ts";
import { registerReferenceRoutes } from "./http/routes/reference.ts";
import { registerTenantRoutes } from "./http/routes/tenant.ts";
import { registerWebhookRoutes } from "./http/routes/webhooks.ts";
import { newId } from "./store/ids.ts";
import { fbrConnectionsOf } from "./tenants/fbr-connections.ts";

export type { AppDeps } from "./http/deps.ts";

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const options = { bodyLimit: deps.config.bodyLimitBytes, genReqId: () => newId("req") };
  const app = (deps.logger === undefined
    ? Fastify(options)
    : Fastify({ ...options, loggerInstance: deps.logger })) as unknown as FastifyInstance;
  installErrorEnvelope(app);
  if (deps.observeResponse !== undefined) installResponseObserver(app, deps.observeResponse);
  installBoundedJsonParser(app);
  // PostgreSQL may have several instances behind one balancer: their counts live in the database. SQLite
  // has one process per file (store/instance-lock.ts), so memory is exact there.
  const sharedCounter =
    deps.store.engine === "postgres" ? new SharedWindowCounter(deps.store.db, deps.clock) : undefined;
  installApiKeyAuth(app, deps.store.db, {
    authFailuresPerMinute: deps.config.authFailuresPerMinute,
    ...(sharedCounter !== undefined ? { sharedCounter } : {}),
  });
  // Per-key limits, counted after authentication so one noisy ERP cannot starve the others (failed
  // authentications are limited per client IP inside installApiKeyAuth).
  await app.register(rateLimit, {
    global: true,
    hook: "preHandler",
    max: deps.config.rateLimitPerMinute,
    timeWindow: 60_000,
    ...(sharedCounter !== undefined ? { store: sharedRateLimitStore(sharedCounter) } : {}),
    keyGenerator: (request) => request.auth?.keyId ?? request.ip,
    allowList: (request) => request.routeOptions.config?.public === true,
    errorResponseBuilder: (_request, context) => {
      const error = new ApiError("rate_limited", `rate limit of ${context.max} requests per minute exceeded`);
      (error as ApiError & { statusCode: number }).statusCode = 429;
      return error;
    },
  });
  // FBR connections pool sockets per tenant (proxy, client certificate): closed with the app when made here.
  if (deps.fbrConnections === undefined) app.addHook("onClose", () => fbrConnectionsOf(deps).close());
  await installOpenApi(app);
  registerHealthRoutes(app, deps);
  registerInvoiceRoutes(app, deps);
  registerImsInvoiceRoutes(app, deps);
  registerDocumentRoutes(app, deps);
  registerIncidentRoutes(app, deps);
  registerReferenceRoutes(app, deps);
  registerBuyerRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerTenantRoutes(app);
  registerCertificationRoutes(app, deps);
  // Pages for people on the same port, in their own scope (sessions, never API keys).
  await registerDashboard(app, deps);
  await app.ready();
  return app;
}
