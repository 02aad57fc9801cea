// Sandbox certification (issue 10): PRAL issues a production token once the seller's sandbox has accepted one
// invoice per scenario its business activity and sector are assigned (spec v1.12 §10, FBR-SPEC §5 "Sandbox
// gate"). A run builds each scenario's invoice for the key's own tenant (sdk certificationInvoice), validates
// it locally, posts it through the normal outbox, and records what FBR answered.
import {
  canonicalJson,
  certificationInvoice,
  describeFbrError,
  ScenarioLookupError,
  scenariosForActivity,
  type ValidationIssue,
} from "@raseed/sdk";
import type { Kysely } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import { DomainError } from "../errors.ts";
import type { AppDeps } from "../http/deps.ts";
import { waitUntilSettled } from "../http/wait-settled.ts";
import { getInvoice, submitInvoice, validateForTenant } from "../invoices/invoice-service.ts";
import { GroupCommitter } from "../store/group-commit.ts";
import { newId, nowIso, sha256Hex } from "../store/ids.ts";
import type { CertificationRunsTable, Database, InvoiceRow, TenantRow } from "../store/schema.ts";

export interface ScenarioCode {
  code: string;
  message: string;
  fix: string;
}

export interface ScenarioResult {
  scenarioId: string;
  /** passed: FBR accepted it; failed: refused locally or by FBR; pending: no answer yet (see invoiceId). */
  status: "passed" | "failed" | "pending";
  invoiceId: string | null;
  fbrInvoiceNumber: string | null;
  /** Present when failed: FBR's (or our validator's) codes, each with the fix. */
  codes: ScenarioCode[];
  /** The invoice's state when the run finished (pending: queued, retrying, in_doubt ...). */
  state: string | null;
}

export interface CertificationRun {
  id: string;
  activity: string;
  sector: string;
  passed: boolean;
  startedAt: string;
  finishedAt: string;
  results: ScenarioResult[];
}

export interface CertificationRequest {
  activity: string;
  sector: string;
  /** Run only these (e.g. the ones that failed last time); each must be assigned to the activity and sector. */
  only?: readonly string[];
  /** Seconds to wait for FBR's answers before reporting a scenario as pending. */
  waitSeconds?: number;
}

const DEFAULT_WAIT_SECONDS = 60;

function codeOf(code: string, message: string, fix?: string): ScenarioCode {
  return { code, message, fix: fix ?? describeFbrError(code)?.fix ?? "see docs/errors.md" };
}

function codesOfRejection(row: InvoiceRow): ScenarioCode[] {
  const errors =
    row.errors === null ? [] : (JSON.parse(row.errors) as { code?: unknown; message?: unknown }[]);
  if (errors.length === 0)
    return [codeOf("", row.last_reason ?? row.state, "look at the invoice's attempts")];
  return errors.map((error) => codeOf(String(error.code ?? ""), String(error.message ?? "")));
}

/** The activity and sector as the matrix spells them, and the scenarios of that cell (400 with the valid list otherwise). */
export function assignedScenarios(activity: string, sector: string): readonly string[] {
  try {
    return scenariosForActivity(activity, sector);
  } catch (error) {
    if (error instanceof ScenarioLookupError) {
      throw new DomainError(error.code, error.message, { validValues: error.validValues });
    }
    throw error;
  }
}

function resultOf(scenarioId: string, row: InvoiceRow): ScenarioResult {
  const base = { scenarioId, invoiceId: row.id, state: row.state };
  if (row.state === "accepted") {
    return { ...base, status: "passed", fbrInvoiceNumber: row.fbr_invoice_number, codes: [] };
  }
  if (row.state === "rejected" || row.state === "failed" || row.state === "abandoned") {
    return { ...base, status: "failed", fbrInvoiceNumber: null, codes: codesOfRejection(row) };
  }
  return { ...base, status: "pending", fbrInvoiceNumber: null, codes: [] };
}

function toRun(row: CertificationRunsTable): CertificationRun {
  return {
    id: row.id,
    activity: row.activity,
    sector: row.sector,
    passed: Number(row.passed) === 1,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    results: JSON.parse(row.results) as ScenarioResult[],
  };
}

/**
 * The checks that need no FBR answer, made before anything is queued: a sandbox tenant, a known activity and
 * sector, and `only` within its assigned scenarios. Returns the scenarios to run, in the matrix's order.
 */
export function scenariosToRun(
  tenant: Pick<TenantRow, "environment">,
  request: Pick<CertificationRequest, "activity" | "sector" | "only">,
): readonly string[] {
  if (tenant.environment !== "sandbox") {
    throw new DomainError(
      "not_sandbox",
      "certification runs only for a sandbox tenant; this key's tenant reports to FBR's production system",
    );
  }
  const assigned = assignedScenarios(request.activity, request.sector);
  const only = (request.only ?? []).map((id) => id.trim().toUpperCase());
  const unassigned = only.filter((id) => !assigned.includes(id));
  if (unassigned.length > 0) {
    throw new DomainError(
      "scenario_not_assigned",
      `${unassigned.join(", ")} ${unassigned.length === 1 ? "is" : "are"} not assigned to ${request.activity} x ${request.sector}; assigned: ${assigned.join(", ")}`,
      { validValues: assigned },
    );
  }
  return only.length > 0 ? assigned.filter((id) => only.includes(id)) : assigned;
}

/**
 * Runs the scenarios for the key's tenant, which must be a sandbox tenant (certification is the sandbox's
 * purpose; a production post would report real sales). Scenarios are posted one by one in the matrix's order.
 */
export async function runCertification(
  deps: Pick<AppDeps, "store" | "events" | "worker" | "committer">,
  tenant: TenantRow,
  request: CertificationRequest,
  actor: string,
): Promise<CertificationRun> {
  const scenarios = scenariosToRun(tenant, request);
  const { db } = deps.store;
  const committer = deps.committer ?? new GroupCommitter(db);
  const runId = newId("cert");
  const startedAt = nowIso();
  const seller = {
    ntnCnic: tenant.ntn,
    businessName: tenant.name,
    province: tenant.province,
    address: tenant.address,
  };

  // Build, validate and queue every scenario first, so the worker posts them while we wait.
  const queued: { scenarioId: string; row: InvoiceRow }[] = [];
  const results = new Map<string, ScenarioResult>();
  for (const scenarioId of scenarios) {
    const invoice = certificationInvoice(scenarioId, { seller, invoiceRefNo: "" });
    const issues: ValidationIssue[] = validateForTenant(invoice, tenant);
    if (issues.length > 0) {
      results.set(scenarioId, {
        scenarioId,
        status: "failed",
        invoiceId: null,
        fbrInvoiceNumber: null,
        state: null,
        codes: issues.map((issue) => codeOf(issue.code, issue.message, issue.fix)),
      });
      continue;
    }
    const externalRef = `certification:${runId}:${scenarioId}`;
    const prepared = { invoice, externalRef, requestHash: sha256Hex(canonicalJson({ invoice })) };
    const { row } = await submitInvoice(db, committer, tenant, prepared, actor);
    queued.push({ scenarioId, row });
  }
  if (queued.length > 0) deps.worker?.kick();

  const waitSeconds = request.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  const deadline = Date.now() + waitSeconds * 1000;
  for (const { scenarioId, row } of queued) {
    const remaining = Math.max(0, (deadline - Date.now()) / 1000);
    const settled = await waitUntilSettled(deps, row, remaining, (tenantId, id) =>
      getInvoice(db, tenantId, id),
    );
    results.set(scenarioId, resultOf(scenarioId, settled));
  }

  const ordered = scenarios.map((id) => results.get(id) as ScenarioResult);
  const passed = ordered.every((result) => result.status === "passed");
  const record: CertificationRunsTable = {
    id: runId,
    tenant_id: tenant.id,
    activity: request.activity,
    sector: request.sector,
    actor,
    results: JSON.stringify(ordered),
    passed: passed ? 1 : 0,
    started_at: startedAt,
    finished_at: nowIso(),
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("certification_runs").values(record).execute();
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor,
      action: "certification.run",
      subject: runId,
      details: {
        activity: request.activity,
        sector: request.sector,
        passed,
        scenarios: ordered.map((result) => `${result.scenarioId}:${result.status}`),
      },
    });
  });
  return toRun(record);
}

/** The tenant's runs, newest first. */
export async function listCertificationRuns(
  db: Kysely<Database>,
  tenantId: string,
  limit = 50,
): Promise<CertificationRun[]> {
  const rows = await db
    .selectFrom("certification_runs")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("started_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toRun);
}

export interface CertificationStatus {
  /** True when, for the activity and sector of the latest run, every assigned scenario has passed in some run. */
  certified: boolean;
  activity: string | null;
  sector: string | null;
  passedScenarios: string[];
  missingScenarios: string[];
}

/**
 * "Has a certification run passed?" for the settings page: re-running only the failed scenarios (--only) is
 * the documented way through, so scenarios passed in earlier runs of the same activity and sector count.
 */
export async function certificationStatus(
  db: Kysely<Database>,
  tenantId: string,
): Promise<CertificationStatus> {
  const runs = await listCertificationRuns(db, tenantId, 500);
  const latest = runs[0];
  if (latest === undefined) {
    return { certified: false, activity: null, sector: null, passedScenarios: [], missingScenarios: [] };
  }
  const assigned = assignedScenarios(latest.activity, latest.sector);
  const passed = new Set(
    runs
      .filter((run) => run.activity === latest.activity && run.sector === latest.sector)
      .flatMap((run) =>
        run.results.filter((result) => result.status === "passed").map((result) => result.scenarioId),
      ),
  );
  const missing = assigned.filter((id) => !passed.has(id));
  return {
    certified: missing.length === 0,
    activity: latest.activity,
    sector: latest.sector,
    passedScenarios: assigned.filter((id) => passed.has(id)),
    missingScenarios: missing,
  };
}
