// Issuing an invoice by hand (when the ERP is down): pickers from FBR's reference data, totals computed by
// the sdk's own tax arithmetic (the same builder the API uses for drafts), FBR's codes beside each field,
// buyer look-up with FBR through the gateway's buyer service, and submission through the API's path,
// idempotent on a reference the form carries (a double click files one invoice).
import { randomBytes } from "node:crypto";
import { ReferenceApiError, type ValidationIssue } from "@raseed/sdk";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { buyerLookupOf } from "../../buyers/buyer-lookup.ts";
import { asApiError } from "../../http/api-error.ts";
import { buildDraftOrIssues } from "../../invoices/draft-issues.ts";
import {
  buildSubmittedInvoice,
  findReplay,
  parseSubmission,
  submitInvoice,
  validateForTenant,
} from "../../invoices/invoice-service.ts";
import { personActor } from "../../people/users.ts";
import { GroupCommitter } from "../../store/group-commit.ts";
import type { TenantRow } from "../../store/schema.ts";
import { type DashboardDeps, render, requirePermission } from "../context.ts";
import { invoiceTotals } from "../invoice-view.ts";
import {
  draftOf,
  emptyLine,
  type IssueForm,
  issuePickers,
  issuesByInput,
  MAX_LINES,
  readIssueForm,
} from "../issue-form.ts";

function newForm(tenant: TenantRow): IssueForm {
  return {
    // The form's idempotency reference: resubmitting the same form (a double click) replays, never files twice.
    externalRef: `web-${randomBytes(9).toString("base64url")}`,
    // FBR judges invoiceDate by the UTC day (the gateway holds a later date until 05:00 PKT), so the form
    // starts on the day FBR accepts at any hour.
    date: new Date().toISOString().slice(0, 10),
    scenarioId: tenant.environment === "sandbox" ? "SN001" : "",
    buyerNtnCnic: "",
    buyerName: "",
    buyerProvince: "",
    buyerAddress: "",
    buyerRegistrationType: "Registered",
    lines: [emptyLine()],
  };
}

interface Preview {
  totals: ReturnType<typeof invoiceTotals> | null;
  issues: ValidationIssue[];
}

/** What FBR would make of the form now: totals from the sdk's builder, or every problem with its code. */
function preview(form: IssueForm, tenant: TenantRow): Preview {
  const seller = {
    ntnCnic: tenant.ntn,
    businessName: tenant.name,
    province: tenant.province,
    address: tenant.address,
  };
  const built = buildDraftOrIssues(
    { seller, ...draftOf(form, tenant) },
    { sandbox: tenant.environment === "sandbox" },
  );
  if ("issues" in built) return { totals: null, issues: built.issues };
  return { totals: invoiceTotals(built.invoice), issues: validateForTenant(built.invoice, tenant) };
}

export function registerIssuePages(app: FastifyInstance, deps: DashboardDeps): void {
  const { db } = deps.store;
  const committer = deps.committer ?? new GroupCommitter(db);
  const buyers = buyerLookupOf(deps);

  function show(
    request: FastifyRequest,
    reply: FastifyReply,
    tenant: TenantRow,
    form: IssueForm,
    extra: { checked?: boolean; buyerNote?: string | null; status?: number } = {},
  ): FastifyReply {
    const result = extra.checked === true ? preview(form, tenant) : { totals: null, issues: [] };
    const byInput = issuesByInput(result.issues);
    return render(
      reply,
      request,
      "issue",
      {
        title: "Issue an invoice",
        form,
        tenant: { environment: tenant.environment, name: tenant.name, ntn: tenant.ntn },
        pickers: issuePickers(),
        totals: result.totals,
        issuesFor: (key: string) => byInput.get(key) ?? [],
        generalIssues: byInput.get("") ?? [],
        issueCount: result.issues.length,
        buyerNote: extra.buyerNote ?? null,
        maxLines: MAX_LINES,
      },
      extra.status ?? 200,
    );
  }

  app.get("/issue", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant } = requirePermission(request, "issue");
    return show(request, reply, tenant, newForm(tenant));
  });

  app.post<{ Body: Record<string, unknown> }>(
    "/issue",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant, user } = requirePermission(request, "issue");
      const body = request.body ?? {};
      const form = readIssueForm(body);
      if (form.externalRef === "") form.externalRef = newForm(tenant).externalRef;
      const op = typeof body.op === "string" ? body.op : "submit";

      if (op === "add-line" && form.lines.length < MAX_LINES) {
        form.lines.push(emptyLine());
        return show(request, reply, tenant, form);
      }
      if (op.startsWith("remove-line-") && form.lines.length > 1) {
        form.lines.splice(Number(op.slice("remove-line-".length)), 1);
        return show(request, reply, tenant, form, { checked: true });
      }
      if (op === "lookup") {
        let buyerNote: string;
        try {
          const answer = await buyers.lookup(tenant, form.buyerNtnCnic);
          if (answer.registrationType !== null) form.buyerRegistrationType = answer.registrationType;
          buyerNote = `FBR says: ${answer.registrationType ?? "registration type unknown"}${
            answer.active === null
              ? ""
              : answer.active
                ? ", active taxpayer"
                : ", NOT on the active taxpayers list"
          } (as of ${answer.day}).${answer.problems.length > 0 ? ` ${answer.problems.join("; ")}` : ""}`;
        } catch (error) {
          if (!(error instanceof ReferenceApiError)) throw error;
          buyerNote = `FBR could not check this buyer: ${error.message}`;
        }
        return show(request, reply, tenant, form, { buyerNote });
      }
      if (op !== "submit") return show(request, reply, tenant, form, { checked: true });

      // The same steps as POST /v1/invoices with a draft: reference first (a replay answers from the store),
      // then build, validate for this tenant, and store with its outbox row in one transaction.
      const envelope = parseSubmission(
        { draft: draftOf(form, tenant), externalRef: form.externalRef },
        undefined,
      );
      let replayed: Awaited<ReturnType<typeof findReplay>>;
      try {
        replayed = await findReplay(db, tenant.id, envelope);
      } catch (error) {
        if (asApiError(error)?.status === 409) {
          // The form was changed after it was sent once: a new reference makes it a new invoice.
          form.externalRef = newForm(tenant).externalRef;
          return show(request, reply, tenant, form, { checked: true, buyerNote: null, status: 409 });
        }
        throw error;
      }
      if (replayed !== undefined) return reply.redirect(`/invoices/${replayed.id}?done=issued`, 303);
      let invoice: ReturnType<typeof buildSubmittedInvoice>;
      try {
        invoice = buildSubmittedInvoice(envelope.content, tenant);
      } catch (error) {
        if (asApiError(error)?.status === 422)
          return show(request, reply, tenant, form, { checked: true, status: 422 });
        throw error;
      }
      if (validateForTenant(invoice, tenant).length > 0)
        return show(request, reply, tenant, form, { checked: true, status: 422 });
      const { created, row } = await submitInvoice(
        db,
        committer,
        tenant,
        { ...envelope, invoice },
        personActor(user),
      );
      if (created) deps.worker?.kick();
      return reply.redirect(`/invoices/${row.id}?done=issued`, 303);
    },
  );
}
