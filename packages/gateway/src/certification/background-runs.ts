// Certification runs started from the dashboard: a run waits for FBR's answers (up to a minute), longer than a
// page should hang, so it runs in the background and the page polls. One run at a time per tenant, so a double
// click or a second tab starts nothing twice. What a run found is recorded by runCertification itself; only
// "is one running, or why did the last one stop" lives here, in memory.
import type { AppDeps } from "../http/deps.ts";
import type { TenantRow } from "../store/schema.ts";
import { type CertificationRequest, runCertification, scenariosToRun } from "./certification-service.ts";

export interface BackgroundRun {
  activity: string;
  sector: string;
  scenarios: readonly string[];
  startedAt: string;
  /** Set when the run stopped without recording (the message says why); cleared by the next run. */
  error: string | null;
  running: boolean;
}

export class BackgroundCertificationRuns {
  private readonly runs = new Map<string, BackgroundRun>();

  constructor(private readonly deps: Pick<AppDeps, "store" | "events" | "worker" | "committer" | "logger">) {}

  /** The tenant's run in progress, or the last one that stopped with an error. */
  current(tenantId: string): BackgroundRun | undefined {
    return this.runs.get(tenantId);
  }

  /**
   * Starts a run unless one is running for the tenant (then returns that one with started false). The checks
   * that need no FBR answer (scenariosToRun) throw here, before anything starts.
   */
  start(
    tenant: TenantRow,
    request: CertificationRequest,
    actor: string,
  ): { run: BackgroundRun; started: boolean } {
    const existing = this.runs.get(tenant.id);
    if (existing?.running === true) return { run: existing, started: false };
    const scenarios = scenariosToRun(tenant, request);
    const run: BackgroundRun = {
      activity: request.activity,
      sector: request.sector,
      scenarios,
      startedAt: new Date().toISOString(),
      error: null,
      running: true,
    };
    this.runs.set(tenant.id, run);
    runCertification(this.deps, tenant, request, actor).then(
      () => {
        if (this.runs.get(tenant.id) === run) this.runs.delete(tenant.id);
      },
      (error: unknown) => {
        run.running = false;
        run.error = error instanceof Error ? error.message : String(error);
        this.deps.logger?.warn({ err: error, tenantId: tenant.id }, "dashboard certification run stopped");
      },
    );
    return { run, started: true };
  }
}
