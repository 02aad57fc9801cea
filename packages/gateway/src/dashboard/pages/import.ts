// Import (issue 10): upload a CSV or XLSX of sales, see every problem by sheet row, column and FBR code
// before anything is sent, then send the valid invoices through ImportJobs with progress. The same planner
// and the same idempotency keys as `raseed import` (import:<NTN>:<reference>), so sending a file again, from
// here or from the CLI, queues nothing twice.
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type ImportJobs, type ImportUpload, importOutcomes } from "../../imports/import-jobs.ts";
import { planImport } from "../../imports/plan.ts";
import { readSheetRows, SheetReadError, sheetKindOfBytes } from "../../imports/read-rows.ts";
import { csrfTokenMatches } from "../../people/sessions.ts";
import { personActor } from "../../people/users.ts";
import { type DashboardDeps, PageError, render, requirePermission } from "../context.ts";

/**
 * The largest upload read. A month of a busy seller's sales as CSV is a few MB; the file is held once in memory
 * while it is planned (the parse itself streams). Larger files go through `raseed import`.
 */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
/** The preview lists this many problems; all of them are in the page's problems.csv. */
const PROBLEMS_SHOWN = 500;

export interface ImportMessage {
  tone: "good" | "bad" | "warn";
  text: string;
}

function isFileTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "FST_REQ_FILE_TOO_LARGE";
}

/** One CSV cell: quoted when it holds a comma, quote or line break; a leading =+-@ is defused for Excel. */
function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function registerImportPages(app: FastifyInstance, deps: DashboardDeps, jobs: ImportJobs): void {
  const { db } = deps.store;

  function showUploads(
    request: FastifyRequest,
    reply: FastifyReply,
    tenantId: string,
    message: ImportMessage | null = null,
    status = 200,
  ): FastifyReply {
    return render(
      reply,
      request,
      "import",
      { title: "Import", uploads: jobs.uploadsOf(tenantId), message, maxMb: MAX_UPLOAD_BYTES / 1048576 },
      status,
    );
  }

  function uploadOf(request: FastifyRequest<{ Params: { id: string } }>): ImportUpload {
    const { tenant } = requirePermission(request, "issue");
    const upload = jobs.upload(tenant.id, request.params.id);
    // Another tenant's upload does not exist for this person.
    if (upload === undefined) {
      throw new PageError(404, "There is no such upload here. Uploads are kept until the gateway restarts.");
    }
    return upload;
  }

  async function progressData(upload: ImportUpload): Promise<Record<string, unknown>> {
    const job = upload.job;
    const rowsOf = (reference: string) =>
      upload.plan.invoices.find((invoice) => invoice.reference === reference)?.rows ?? [];
    const outcomes = job?.status === "done" ? await importOutcomes(db, job, rowsOf) : null;
    return { upload, job, outcomes };
  }

  async function showUpload(
    request: FastifyRequest,
    reply: FastifyReply,
    upload: ImportUpload,
    message: ImportMessage | null = null,
    status = 200,
  ): Promise<FastifyReply> {
    return render(
      reply,
      request,
      "import-upload",
      {
        title: `Import ${upload.fileName}`,
        ...(await progressData(upload)),
        shownProblems: upload.problems.slice(0, PROBLEMS_SHOWN),
        message,
      },
      status,
    );
  }

  app.get("/import", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant } = requirePermission(request, "issue");
    return showUploads(request, reply, tenant.id);
  });

  // A multipart form: the dashboard's CSRF hook cannot see its fields, so the token is read here, from the
  // form's first field, before a byte of the file is looked at.
  app.post("/import", { config: { dashboard: true, multipartCsrf: true } }, async (request, reply) => {
    const person = requirePermission(request, "issue");
    let csrfChecked = false;
    let file: { name: string; bytes: Buffer } | undefined;
    try {
      for await (const part of request.parts()) {
        if (part.type === "field") {
          if (part.fieldname === "_csrf") {
            csrfChecked = csrfTokenMatches(person.session.csrf_token, part.value);
          }
          continue;
        }
        if (!csrfChecked) {
          throw new PageError(
            403,
            "This form has expired or did not come from this dashboard. Reload the page and try again.",
          );
        }
        file = { name: part.filename, bytes: await part.toBuffer() };
      }
    } catch (error) {
      if (!isFileTooLarge(error)) throw error;
      const text = `The file is larger than ${MAX_UPLOAD_BYTES / 1048576} MB. Split it by month, or send it with \`raseed import\` (see docs/import.md).`;
      return showUploads(request, reply, person.tenant.id, { tone: "bad", text }, 413);
    }
    if (!csrfChecked) {
      throw new PageError(
        403,
        "This form has expired or did not come from this dashboard. Reload the page and try again.",
      );
    }
    if (file === undefined || file.bytes.length === 0) {
      const text = "Choose a .csv or .xlsx file first.";
      return showUploads(request, reply, person.tenant.id, { tone: "bad", text }, 400);
    }
    let upload: ImportUpload;
    try {
      const kind = sheetKindOfBytes(file.bytes);
      const plan = await planImport(readSheetRows(Readable.from([file.bytes]), kind), {
        tenant: person.tenant,
      });
      const fileName = file.name.trim().slice(0, 200) || "upload";
      upload = jobs.keep(person.tenant.id, fileName, plan, personActor(person.user));
    } catch (error) {
      if (!(error instanceof SheetReadError)) throw error;
      return showUploads(request, reply, person.tenant.id, { tone: "bad", text: error.message }, 400);
    }
    return reply.redirect(`/import/${upload.id}`, 303);
  });

  app.get<{ Params: { id: string } }>(
    "/import/:id",
    { config: { dashboard: true } },
    async (request, reply) => showUpload(request, reply, uploadOf(request)),
  );

  // The htmx fragment the page polls while the job runs; it stops polling once the job is done.
  app.get<{ Params: { id: string } }>(
    "/import/:id/progress",
    { config: { dashboard: true } },
    async (request, reply) => {
      const upload = uploadOf(request);
      return render(reply, request, "import-progress", await progressData(upload));
    },
  );

  // Every problem, not only the ones the page lists, as a CSV a person can sort and fix from.
  app.get<{ Params: { id: string } }>(
    "/import/:id/problems.csv",
    { config: { dashboard: true } },
    async (request, reply) => {
      const upload = uploadOf(request);
      const lines = [["sheet", "row", "column", "code", "invoiceRefNo", "message", "fix"].join(",")];
      for (const p of upload.problems) {
        lines.push(
          [p.sheet, p.row, p.column, p.code, p.reference, p.message, p.fix].map((v) => csvCell(v)).join(","),
        );
      }
      const name = `${upload.fileName.replace(/\.[^.]*$/, "").replace(/[^\w.-]+/g, "_")}-problems.csv`;
      return reply
        .type("text/csv; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-disposition", `attachment; filename="${name}"`)
        .send(`${lines.join("\r\n")}\r\n`);
    },
  );

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
    "/import/:id/send",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant, user } = requirePermission(request, "issue");
      const upload = uploadOf(request);
      const valid = upload.plan.invoices.length - upload.invalidInvoices;
      if (valid === 0) {
        const text =
          "Nothing in this file can be sent: correct the problems listed below and upload it again.";
        return showUpload(request, reply, upload, { tone: "bad", text }, 409);
      }
      // As `raseed import` without --skip-invalid: a file with any invalid invoice is refused whole, unless
      // the person says to send the valid ones and leave the rest.
      if (upload.invalidInvoices > 0 && request.body?.skipInvalid !== "yes") {
        const text = `${upload.invalidInvoices} invoice(s) have problems, so nothing was sent. Correct them and upload again, or tick “Send the valid invoices and leave out the ones with problems”.`;
        return showUpload(request, reply, upload, { tone: "bad", text }, 409);
      }
      jobs.send(tenant, upload, personActor(user));
      return reply.redirect(`/import/${upload.id}`, 303);
    },
  );
}
