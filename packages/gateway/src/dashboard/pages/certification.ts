// Sandbox certification (issue 10): run the scenarios PRAL assigns to the seller's business activity and
// sector (spec v1.12 §10) through the same certification service as POST /v1/certification/runs, and read
// every run with each scenario's result, FBR number or codes with their fix. Everyone of the tenant reads;
// admins and operators run.
import { businessActivities, scenarioSectors } from "@raseed/sdk";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { BackgroundCertificationRuns } from "../../certification/background-runs.ts";
import { certificationStatus, listCertificationRuns } from "../../certification/certification-service.ts";
import { asApiError } from "../../http/api-error.ts";
import { personActor } from "../../people/users.ts";
import { type DashboardDeps, render, requirePermission, signedIn } from "../context.ts";

type Body = Record<string, unknown>;

function text(body: Body, name: string): string {
  const value = body[name];
  return typeof value === "string" ? value.trim().slice(0, 100) : "";
}

/** `only` arrives once per scenario (hidden inputs of "Run the failed ones again"). */
function scenarioList(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((v): v is string => typeof v === "string" && /^SN\d{3}$/.test(v)).slice(0, 28);
}

export function registerCertificationPages(
  app: FastifyInstance,
  deps: DashboardDeps,
  runs: BackgroundCertificationRuns,
): void {
  const { db } = deps.store;

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    message: { tone: "good" | "bad" | "warn"; text: string } | null = null,
    status = 200,
  ): Promise<FastifyReply> {
    const { tenant } = signedIn(request);
    const [history, certification] = await Promise.all([
      listCertificationRuns(db, tenant.id),
      certificationStatus(db, tenant.id),
    ]);
    const latest = history[0];
    return render(
      reply,
      request,
      "certification",
      {
        title: "Certification",
        history,
        certification,
        current: runs.current(tenant.id) ?? null,
        sandbox: tenant.environment === "sandbox",
        activities: businessActivities(),
        sectors: scenarioSectors(),
        chosen: { activity: latest?.activity ?? "", sector: latest?.sector ?? "" },
        failedLatest: latest?.results.filter((r) => r.status !== "passed").map((r) => r.scenarioId) ?? [],
        message,
      },
      status,
    );
  }

  app.get("/certification", { config: { dashboard: true } }, async (request, reply) => show(request, reply));

  // Polled by the page while a run is in progress; once it is over, htmx reloads the page with the result.
  app.get("/certification/progress", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant } = signedIn(request);
    const current = runs.current(tenant.id) ?? null;
    if (current?.running !== true) reply.header("hx-refresh", "true");
    return render(reply, request, "certification-progress", { current });
  });

  app.post<{ Body: Body }>("/certification/runs", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant, user } = requirePermission(request, "act");
    const body = request.body ?? {};
    const only = scenarioList(body.only);
    try {
      const { started } = runs.start(
        tenant,
        {
          activity: text(body, "activity"),
          sector: text(body, "sector"),
          ...(only.length > 0 ? { only } : {}),
        },
        personActor(user),
      );
      if (!started) {
        return show(
          request,
          reply,
          { tone: "warn", text: "A run is already in progress; wait for it." },
          409,
        );
      }
    } catch (error) {
      const refused = asApiError(error);
      if (refused === undefined || refused.status >= 500) throw error;
      return show(request, reply, { tone: "bad", text: refused.message }, refused.status);
    }
    return reply.redirect("/certification", 303);
  });
}
