// The incident register for people (issue 9): open incidents first with the 24-hour reporting deadline,
// and each incident's report as a PDF to send to the Commissioner. Reads through records/incidents.ts,
// like GET /v1/incidents; only the signed-in person's company.
import type { FastifyInstance } from "fastify";
import { renderIncidentReport } from "../../documents/incident-report.ts";
import { getIncident, listIncidents } from "../../records/incidents.ts";
import { type DashboardDeps, PageError, render, signedIn } from "../context.ts";

export function registerIncidentPages(app: FastifyInstance, deps: DashboardDeps): void {
  const { db } = deps.store;

  app.get("/incidents", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant } = signedIn(request);
    const now = new Date();
    const incidents = await listIncidents(db, tenant.id, { now });
    return render(reply, request, "incidents", {
      title: "Incidents",
      open: incidents.filter((i) => i.state === "open"),
      closed: incidents.filter((i) => i.state === "closed"),
      now: now.toISOString(),
    });
  });

  app.get<{ Params: { id: string } }>(
    "/incidents/:id/report.pdf",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant } = signedIn(request);
      const incident = await getIncident(db, tenant.id, request.params.id);
      if (incident === undefined)
        throw new PageError(404, "There is nothing here, or it belongs to another company.");
      const pdf = await renderIncidentReport(incident, tenant, { printedAt: new Date().toISOString() });
      return reply
        .type("application/pdf")
        .header("content-disposition", `inline; filename="${incident.id}.pdf"`)
        .header("cache-control", "no-store")
        .send(pdf);
    },
  );
}
