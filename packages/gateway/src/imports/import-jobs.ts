// Sending a planned import inside the gateway (the dashboard's /import page): the same submission path as
// POST /v1/invoices (same request hash, same idempotency key), so a file imported once from the dashboard and
// once with `raseed import` is still queued only once. Progress lives in memory; what was queued is durable,
// and uploading the file again after a restart sends only what is missing.
import { DomainError } from "../errors.ts";
import type { AppDeps } from "../http/deps.ts";
import { buildSubmittedInvoice, parseSubmission, submitInvoice } from "../invoices/invoice-service.ts";
import { GroupCommitter } from "../store/group-commit.ts";
import { newId, nowIso } from "../store/ids.ts";
import type { TenantRow } from "../store/schema.ts";
import type { ImportPlan, PlannedInvoice } from "./plan.ts";

export interface ImportJobLine {
  reference: string;
  rows: number[];
  message: string;
}

export interface ImportJob {
  id: string;
  tenantId: string;
  fileName: string;
  status: "running" | "done";
  /** Invoices to send (the valid ones). */
  total: number;
  done: number;
  sent: number;
  alreadySent: number;
  /** Invalid invoices not sent (with --skip-invalid semantics). */
  skipped: number;
  conflicts: ImportJobLine[];
  failures: ImportJobLine[];
  /** Reference → the gateway's invoice id, for the invoices it holds. */
  invoiceIds: Record<string, string>;
  startedAt: string;
  finishedAt: string | null;
}

/** At most this many jobs are remembered per gateway process (the oldest finished ones are forgotten). */
const MAX_JOBS = 200;

export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();

  constructor(private readonly deps: Pick<AppDeps, "store" | "worker" | "committer">) {}

  /**
   * Starts sending the plan's valid invoices in the background and returns the job at once. The caller has
   * already decided that sending is allowed (no invalid invoice, or the user chose to skip them).
   */
  start(tenant: TenantRow, fileName: string, plan: ImportPlan, actor: string): ImportJob {
    const valid = plan.invoices.filter((invoice) => invoice.problems.length === 0);
    const job: ImportJob = {
      id: newId("imp"),
      tenantId: tenant.id,
      fileName,
      status: "running",
      total: valid.length,
      done: 0,
      sent: 0,
      alreadySent: 0,
      skipped: plan.invoices.length - valid.length,
      conflicts: [],
      failures: [],
      invoiceIds: {},
      startedAt: nowIso(),
      finishedAt: null,
    };
    this.remember(job);
    void this.run(job, tenant, valid, actor);
    return job;
  }

  /** The job if it belongs to this tenant (jobs of other tenants do not exist for it). */
  get(tenantId: string, id: string): ImportJob | undefined {
    const job = this.jobs.get(id);
    return job?.tenantId === tenantId ? job : undefined;
  }

  /** Resolves when the job has finished (tests and the CLI-like callers). */
  async finished(job: ImportJob): Promise<ImportJob> {
    await this.running.get(job.id);
    return job;
  }

  private readonly running = new Map<string, Promise<void>>();

  private remember(job: ImportJob): void {
    if (this.jobs.size >= MAX_JOBS) {
      for (const [id, old] of this.jobs) {
        if (old.status === "done") {
          this.jobs.delete(id);
          break;
        }
      }
    }
    this.jobs.set(job.id, job);
  }

  private run(job: ImportJob, tenant: TenantRow, invoices: PlannedInvoice[], actor: string): Promise<void> {
    const { db } = this.deps.store;
    const committer = this.deps.committer ?? new GroupCommitter(db);
    const work = (async () => {
      for (const planned of invoices) {
        try {
          const envelope = parseSubmission(planned.body, planned.idempotencyKey);
          const prepared = { ...envelope, invoice: buildSubmittedInvoice(envelope.content, tenant) };
          const { created, row } = await submitInvoice(db, committer, tenant, prepared, actor);
          if (created) job.sent += 1;
          else job.alreadySent += 1;
          job.invoiceIds[planned.reference] = row.id;
          if (created) this.deps.worker?.kick();
        } catch (error) {
          const line = {
            reference: planned.reference,
            rows: planned.rows,
            message: (error as Error).message,
          };
          if (error instanceof DomainError && error.code === "idempotency_conflict") job.conflicts.push(line);
          else job.failures.push(line);
        }
        job.done += 1;
      }
    })().finally(() => {
      job.status = "done";
      job.finishedAt = nowIso();
      this.running.delete(job.id);
    });
    this.running.set(job.id, work);
    return work;
  }
}
