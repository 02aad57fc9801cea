// Sandbox certification over the API: run the scenarios of an activity and sector, list the runs, and ask
// whether the tenant is through (the settings page reads the same status before a switch to production).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  certificationStatus,
  listCertificationRuns,
  runCertification,
} from "../../certification/certification-service.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";
import { parseQuery } from "../query.ts";
import { certificationRunSchema, certificationRunsSchema, certificationStatusSchema } from "../views.ts";

export const certificationRunBodySchema = z.strictObject({
  activity: z.string().min(1).max(100),
  sector: z.string().min(1).max(100),
  only: z
    .array(z.string().regex(/^\s*SN\d{3}\s*$/i, "must be a scenario id such as SN001"))
    .max(28)
    .optional(),
  waitSeconds: z.number().int().min(0).max(300).optional(),
});

export function registerCertificationRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db } = deps.store;

  app.post(
    "/v1/certification/runs",
    {
      config: { scope: "invoices:write" },
      schema: describeRoute("Run the sandbox scenarios assigned to a business activity and sector", {
        tags: ["certification"],
        body: certificationRunBodySchema,
        description:
          "Sandbox tenants only (409 not_sandbox otherwise). Each scenario's invoice is built with the tenant's " +
          "own details, validated locally and posted through the outbox; one result per scenario: passed with " +
          "FBR's number, failed with the codes and their fix, or pending when FBR has not answered in waitSeconds.",
        responses: {
          201: { description: "The finished run, one result per scenario", json: certificationRunSchema },
        },
        errors: {
          400: ["unknown_business_activity", "unknown_sector", "unknown_scenario", "scenario_not_assigned"],
          409: ["not_sandbox"],
        },
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const { only, waitSeconds, ...rest } = parseQuery(
        certificationRunBodySchema,
        request.body ?? {},
        "body",
      );
      const run = await runCertification(
        deps,
        auth.tenant,
        {
          ...rest,
          ...(only !== undefined ? { only } : {}),
          ...(waitSeconds !== undefined ? { waitSeconds } : {}),
        },
        `api:${auth.keyId}`,
      );
      return reply.status(201).send(run);
    },
  );

  app.get(
    "/v1/certification/runs",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("The tenant's certification runs, newest first", {
        tags: ["certification"],
        responses: { 200: { description: "The runs", json: certificationRunsSchema } },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      return { items: await listCertificationRuns(db, auth.tenantId) };
    },
  );

  app.get(
    "/v1/certification/status",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute(
        "Whether every assigned scenario has passed (for the latest run's activity and sector)",
        {
          tags: ["certification"],
          responses: { 200: { description: "The certification status", json: certificationStatusSchema } },
        },
      ),
    },
    async (request) => {
      const auth = requireAuth(request);
      return certificationStatus(db, auth.tenantId);
    },
  );
}
