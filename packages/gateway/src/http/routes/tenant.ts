// The key's own seller, as FBR knows it: clients (the CLI's import, ERPs) fill seller fields and derive
// idempotency keys from it. Never the FBR token or anything secret.
import type { FastifyInstance } from "fastify";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";
import { tenantViewSchema } from "../views.ts";

export function registerTenantRoutes(app: FastifyInstance): void {
  app.get(
    "/v1/tenant",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("The API key's seller: NTN, name, province, address, sandbox or production", {
        tags: ["tenant"],
        responses: { 200: { description: "The seller (never its FBR token)", json: tenantViewSchema } },
      }),
    },
    async (request) => {
      const { tenant } = requireAuth(request);
      return {
        id: tenant.id,
        ntn: tenant.ntn,
        name: tenant.name,
        province: tenant.province,
        address: tenant.address,
        environment: tenant.environment,
        paused: tenant.paused_at !== null,
      };
    },
  );
}
