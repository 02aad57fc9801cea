// Sandbox certification over the API: run the scenarios of an activity and sector, list the runs, and ask
// whether the tenant is through (the settings page reads the same status before a switch to production).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  certificationStatus,
  listCertificationRuns,
  runCertification,
} from "../../certification/certification-service.ts";
import { ApiError } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";

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
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const parsed = certificationRunBodySchema.safeParse(request.body ?? {});
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
          .join("; ");
        throw new ApiError("bad_request", message);
      }
      const { only, waitSeconds, ...rest } = parsed.data;
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
      schema: describeRoute("The tenant's certification runs, newest first", { tags: ["certification"] }),
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
        },
      ),
    },
    async (request) => {
      const auth = requireAuth(request);
      return certificationStatus(db, auth.tenantId);
    },
  );
}
