// Sending a planned import inside the gateway (the dashboard's /import page): the same submission path as
// POST /v1/invoices (same request hash, same idempotency key), so a file imported once from the dashboard and
// once with `raseed import` is still queued only once. Progress lives in memory; what was queued is durable,
// and uploading the file again after a restart sends only what is missing.
import type { Kysely } from "kysely";
import { DomainError } from "../errors.ts";
import type { AppDeps } from "../http/deps.ts";
import { buildSubmittedInvoice, parseSubmission, submitInvoice } from "../invoices/invoice-service.ts";
import { GroupCommitter } from "../store/group-commit.ts";
import { newId, nowIso } from "../store/ids.ts";
import type { Database, InvoiceState, TenantRow } from "../store/schema.ts";
import { allProblems, type ImportPlan, type ImportProblem, type PlannedInvoice } from "./plan.ts";

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

/**
 * An uploaded file's plan, kept for its preview until someone sends it (the dashboard's /import page). Its
 * latest job, once sent; sending it again starts a new job, which queues nothing twice (same keys).
 */
export interface ImportUpload {
  id: string;
  tenantId: string;
  fileName: string;
  uploadedBy: string;
  uploadedAt: string;
  plan: ImportPlan;
  /** Every problem of the plan, file-level first, then by sheet row. */
  problems: ImportProblem[];
  /** Invoices with at least one problem (never sent). */
  invalidInvoices: number;
  job: ImportJob | null;
}

/** At most this many jobs are remembered per gateway process (the oldest finished ones are forgotten). */
const MAX_JOBS = 200;
/** Plans are large (every row of a file): at most this many uploads are kept per gateway process. */
const MAX_UPLOADS = 20;

export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();
  private readonly uploads = new Map<string, ImportUpload>();

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

  /** Keeps a planned file for its preview; nothing is sent until `send`. */
  keep(tenantId: string, fileName: string, plan: ImportPlan, actor: string): ImportUpload {
    if (this.uploads.size >= MAX_UPLOADS) {
      // Forget the oldest upload that is not sending right now.
      for (const [id, old] of this.uploads) {
        if (old.job?.status !== "running") {
          this.uploads.delete(id);
          break;
        }
      }
    }
    const upload: ImportUpload = {
      id: newId("upl"),
      tenantId,
      fileName,
      uploadedBy: actor,
      uploadedAt: nowIso(),
      plan,
      problems: allProblems(plan),
      invalidInvoices: plan.invoices.filter((invoice) => invoice.problems.length > 0).length,
      job: null,
    };
    this.uploads.set(upload.id, upload);
    return upload;
  }

  /** The upload if it belongs to this tenant. */
  upload(tenantId: string, id: string): ImportUpload | undefined {
    const upload = this.uploads.get(id);
    return upload?.tenantId === tenantId ? upload : undefined;
  }

  /** The tenant's uploads, newest first. */
  uploadsOf(tenantId: string): ImportUpload[] {
    return [...this.uploads.values()].filter((upload) => upload.tenantId === tenantId).reverse();
  }

  /**
   * Sends an upload's valid invoices. A second click while its job runs returns that job (nothing starts
   * twice); after it finished, a new job runs and finds everything already queued.
   */
  send(tenant: TenantRow, upload: ImportUpload, actor: string): ImportJob {
    if (upload.job?.status === "running") return upload.job;
    upload.job = this.start(tenant, upload.fileName, upload.plan, actor);
    return upload.job;
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

export interface ImportOutcomeLine {
  reference: string;
  rows: number[];
  invoiceId: string;
  state: InvoiceState;
  fbrInvoiceNumber: string | null;
  /** FBR's codes, for a rejected invoice. */
  codes: string[];
}

export interface ImportOutcomes {
  accepted: number;
  rejected: ImportOutcomeLine[];
  /** Queued, being sent, retrying or in doubt: FBR has not answered for certain yet. */
  pending: number;
}

const FINAL_REFUSALS: readonly InvoiceState[] = ["rejected", "failed", "abandoned"];

/** What FBR has answered so far for a job's invoices (read in chunks, so a 100,000-invoice job fits). */
export async function importOutcomes(
  db: Kysely<Database>,
  job: ImportJob,
  rowsOf: (reference: string) => number[],
): Promise<ImportOutcomes> {
  const references = new Map(Object.entries(job.invoiceIds).map(([reference, id]) => [id, reference]));
  const ids = [...references.keys()];
  const outcomes: ImportOutcomes = { accepted: 0, rejected: [], pending: 0 };
  for (let start = 0; start < ids.length; start += 500) {
    const rows = await db
      .selectFrom("invoices")
      .select(["id", "state", "fbr_invoice_number", "errors"])
      .where("tenant_id", "=", job.tenantId)
      .where("id", "in", ids.slice(start, start + 500))
      .execute();
    for (const row of rows) {
      if (row.state === "accepted") outcomes.accepted += 1;
      else if (FINAL_REFUSALS.includes(row.state)) {
        const reference = references.get(row.id) ?? "";
        const errors = row.errors === null ? [] : (JSON.parse(row.errors) as { code?: unknown }[]);
        outcomes.rejected.push({
          reference,
          rows: rowsOf(reference),
          invoiceId: row.id,
          state: row.state,
          fbrInvoiceNumber: row.fbr_invoice_number,
          codes: errors.map((error) => String(error.code ?? "")).filter((code) => code !== ""),
        });
      } else outcomes.pending += 1;
    }
  }
  outcomes.rejected.sort((a, b) => (a.rows[0] ?? 0) - (b.rows[0] ?? 0));
  return outcomes;
}
