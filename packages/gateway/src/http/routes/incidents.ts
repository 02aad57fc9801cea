// The incident register over the API (issue 9): a tenant's incidents, and the printable report a person
// sends to the Commissioner. Authenticated like every /v1 route; a key sees its own tenant's incidents only.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { renderIncidentReport } from "../../documents/incident-report.ts";
import { notFound } from "../../errors.ts";
import { getIncident, listIncidents } from "../../records/incidents.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";
import { parseQuery, wholeNumber } from "../query.ts";
import { incidentListSchema } from "../views.ts";

export const incidentListQuerySchema = z.strictObject({
  state: z.enum(["open", "closed"]).optional(),
  limit: wholeNumber(1, 500).default(100),
});

export function registerIncidentRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db } = deps.store;

  app.get(
    "/v1/incidents",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("The tenant's incident register, newest first", {
        tags: ["records"],
        querystring: incidentListQuerySchema,
        description:
          "Incidents open by themselves: FBR unreachable longer than incidentUnreachableMs (10 minutes), the " +
          "seller's token refused, tampering found by `raseed audit verify`, the gateway stopped with work in " +
          "flight; each closes when its cause clears. reportBy is 24 hours after the start: the report to the " +
          "Commissioner is due then.",
        responses: { 200: { description: "The incidents", json: incidentListSchema } },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      const query = parseQuery(incidentListQuerySchema, request.query);
      return {
        incidents: await listIncidents(db, auth.tenantId, { state: query.state, limit: query.limit }),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/incidents/:id/report.pdf",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("The incident report as a PDF, for the Commissioner", {
        tags: ["records"],
        responses: { 200: { description: "The report", media: "application/pdf" } },
        errors: { 404: ["not_found"] },
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const incident = await getIncident(db, auth.tenantId, request.params.id);
      if (incident === undefined) throw notFound("incident");
      const pdf = await renderIncidentReport(incident, auth.tenant, { printedAt: new Date().toISOString() });
      return reply
        .type("application/pdf")
        .header("Content-Disposition", `inline; filename="${incident.id}.pdf"`)
        .send(pdf);
    },
  );
}
