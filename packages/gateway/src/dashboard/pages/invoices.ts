// The invoice list (search, filters, keyset paging), one invoice as a person reads it, and its actions.
// Actions go through the same service functions as the API (one conditional state change each); a race
// lost to another person or the worker comes back as a message on the invoice, not as an error page.
import { pakistanDayStart, redactSecrets, renderFbrQrSvg } from "@raseed/sdk";
import type { FastifyInstance, FastifyReply } from "fastify";
import { AlreadyAcceptedError, NotAcceptedError, printInvoice } from "../../documents/documents.ts";
import { asApiError } from "../../http/api-error.ts";
import { auditTrail, searchInvoices } from "../../invoices/invoice-reads.ts";
import { getInvoice, listAttempts, retryInvoice } from "../../invoices/invoice-service.ts";
import { type ReconcileRequest, reconcileInvoice } from "../../invoices/reconcile.ts";
import { personActor } from "../../people/users.ts";
import {
  CancellationError,
  cancelInvoice,
  cancellationDeadline,
  readCancellation,
} from "../../records/cancellations.ts";
import { type InvoiceState, invoiceStates } from "../../store/schema.ts";
import { can, type DashboardDeps, PageError, render, requirePermission, signedIn } from "../context.ts";
import { stateMeanings } from "../format.ts";
import { explainErrors, invoiceTotals, parsePayload } from "../invoice-view.ts";

const PAGE_SIZE = 50;

/** A "YYYY-MM-DD" day on Pakistan's calendar as the UTC instant it starts; undefined for anything else. */
function pktDayStart(day: unknown, plusDays = 0): string | undefined {
  return typeof day === "string" ? pakistanDayStart(day, plusDays)?.toISOString() : undefined;
}

/** Messages for ?done= and ?problem= after an action: fixed texts, so a link cannot put words on the page. */
const doneMessages: Record<string, string> = {
  issued: "Issued: it is queued for FBR and this page shows how it goes.",
  retry: "Queued again: it will be sent to FBR shortly.",
  abandon: "Abandoned: this invoice will not be reported.",
  resubmit: "Queued for resubmission: it will be posted to FBR again.",
  fbr_number: "Reconciled with the FBR invoice number you found in IRIS.",
  cancelled: "Cancellation recorded: later prints of this invoice say CANCELLED.",
};
const problemMessages: Record<string, string> = {
  invalid_state:
    "Someone else (or the gateway itself) changed this invoice while you were deciding, so nothing was done. Here is where it stands now; decide again if needed.",
  tenant_paused: "FBR refused this seller's token. An admin must set a new token in Settings first.",
  not_found: "That invoice no longer exists.",
  commissioner_approval_required:
    "More than 72 hours have passed since FBR's date: a cancellation now needs the Commissioner's approval reference.",
  fbr_refused: "FBR refused the cancellation; nothing was recorded.",
  not_accepted:
    "FBR has not accepted this invoice, so it cannot be printed as a tax invoice; print a proforma instead.",
};

type Query = Record<string, string | undefined>;

export function registerInvoicePages(app: FastifyInstance, deps: DashboardDeps): void {
  const { db } = deps.store;

  app.get<{ Querystring: Query }>("/invoices", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant } = signedIn(request);
    const query = request.query;
    const state = invoiceStates.includes(query.state as InvoiceState)
      ? (query.state as InvoiceState)
      : undefined;
    const q = typeof query.q === "string" ? query.q.slice(0, 200) : "";
    const page = await searchInvoices(db, tenant.id, {
      q,
      state,
      createdFrom: pktDayStart(query.from),
      createdBefore: pktDayStart(query.to, 1),
      cursor: typeof query.cursor === "string" && query.cursor !== "" ? query.cursor : undefined,
      limit: PAGE_SIZE,
    });
    const filters = {
      q,
      state: state ?? "",
      from: pktDayStart(query.from) === undefined ? "" : (query.from ?? ""),
      to: pktDayStart(query.to) === undefined ? "" : (query.to ?? ""),
    };
    const nextLink =
      page.nextCursor === null
        ? null
        : `/invoices?${new URLSearchParams({ ...filters, cursor: page.nextCursor }).toString()}`;
    return render(reply, request, "invoices", {
      title: "Invoices",
      filters,
      states: invoiceStates,
      firstPage: query.cursor === undefined || query.cursor === "",
      nextLink,
      rows: page.items.map((row) => {
        const invoice = parsePayload(row);
        return {
          id: row.id,
          state: row.state,
          createdAt: row.created_at,
          externalRef: row.external_ref,
          fbrInvoiceNumber: row.fbr_invoice_number,
          buyerName: invoice.buyerBusinessName,
          buyerNtn: invoice.buyerNTNCNIC,
          total: invoiceTotals(invoice).total,
        };
      }),
    });
  });

  app.get<{ Params: { id: string }; Querystring: Query }>(
    "/invoices/:id",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant, user } = signedIn(request);
      const row = await getInvoice(db, tenant.id, request.params.id);
      const [attempts, audit] = await Promise.all([
        listAttempts(db, tenant.id, row.id),
        auditTrail(db, tenant.id, row.id),
      ]);
      const invoice = parsePayload(row);
      const mayAct = can(user.role, "act");
      const printable =
        (row.state === "accepted" || row.state === "cancelled") && row.fbr_invoice_number !== null;
      const cancellation = row.state === "cancelled" ? await readCancellation(db, row.id) : undefined;
      const deadline = cancellationDeadline(row);
      return render(reply, request, "invoice", {
        title: `Invoice ${row.external_ref ?? row.id}`,
        row,
        invoice,
        meaning: stateMeanings[row.state],
        totals: invoiceTotals(invoice),
        errors: explainErrors(row),
        attempts: attempts.map((a) => ({
          ...a,
          request_body: redactedJson(a.request_body),
          response_body: a.response_body === null ? null : redactedJson(a.response_body),
        })),
        audit: audit.map((entry) => ({ ...entry, details: entry.details === "{}" ? "" : entry.details })),
        qr: printable && row.fbr_invoice_number !== null ? renderFbrQrSvg(row.fbr_invoice_number) : null,
        canRetry: mayAct && (row.state === "failed" || row.state === "paused"),
        canReconcile: mayAct && (row.state === "in_doubt" || row.state === "failed"),
        printable,
        canCancel: mayAct && row.state === "accepted" && row.fbr_invoice_number !== null,
        cancelDeadline: deadline.toISOString(),
        cancelLate: Date.now() > deadline.getTime(),
        cancellation: cancellation ?? null,
        done: doneMessages[request.query.done ?? ""] ?? null,
        problem: problemMessages[request.query.problem ?? ""] ?? null,
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    "/invoices/:id/fbr.json",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant } = signedIn(request);
      const row = await getInvoice(db, tenant.id, request.params.id);
      // Exactly the JSON stored for posting, for manual upload in IRIS when needed.
      return reply
        .type("application/json; charset=utf-8")
        .header("content-disposition", `attachment; filename="${row.id}.fbr.json"`)
        .header("cache-control", "no-store")
        .send(row.payload);
    },
  );

  // The printed invoice (documents/documents.ts): the same copy counting and audit as the API's.
  app.get<{ Params: { id: string }; Querystring: Query }>(
    "/invoices/:id/pdf",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant, user } = signedIn(request);
      const format = request.query.format === "receipt" ? "receipt" : "a4";
      try {
        const printed = await printInvoice(db, tenant, request.params.id, {
          format,
          proforma: request.query.proforma === "true",
          actor: personActor(user),
          ...(deps.documentLogo !== undefined ? { logo: deps.documentLogo } : {}),
        });
        return reply
          .type("application/pdf")
          .header("content-disposition", `inline; filename="${printed.filename}"`)
          .header("cache-control", "no-store")
          .send(printed.pdf);
      } catch (error) {
        if (error instanceof NotAcceptedError || error instanceof AlreadyAcceptedError) {
          const problem = error instanceof NotAcceptedError ? "not_accepted" : "invalid_state";
          return reply.redirect(`/invoices/${encodeURIComponent(request.params.id)}?problem=${problem}`, 303);
        }
        throw error;
      }
    },
  );

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
    "/invoices/:id/cancel",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant, user } = requirePermission(request, "act");
      const body = request.body ?? {};
      const text = (name: string) => (typeof body[name] === "string" ? body[name].trim() : "");
      const irisReference = text("irisReference");
      const reason = text("reason");
      const approval = text("commissionerApprovalReference");
      if (irisReference === "" || irisReference.length > 100)
        throw new PageError(
          400,
          "Give the IRIS reference of the cancellation you made in IRIS (up to 100 characters).",
        );
      if (reason === "" || reason.length > 500)
        throw new PageError(400, "Say why (up to 500 characters): the reason goes into the audit trail.");
      if (approval.length > 100) throw new PageError(400, "That approval reference is too long.");
      const id = request.params.id;
      try {
        await cancelInvoice(
          db,
          deps.events,
          tenant,
          id,
          { irisReference, reason, ...(approval !== "" ? { commissionerApprovalReference: approval } : {}) },
          {
            actor: personActor(user),
            now: new Date(),
            ...(deps.fbrCancellation !== undefined ? { fbr: deps.fbrCancellation } : {}),
          },
        );
      } catch (error) {
        if (error instanceof CancellationError)
          return reply.redirect(`/invoices/${encodeURIComponent(id)}?problem=${error.code}`, 303);
        throw error;
      }
      return reply.redirect(`/invoices/${encodeURIComponent(id)}?done=cancelled`, 303);
    },
  );

  /** Runs an action; a conflict or a paused seller becomes a message on the invoice page. */
  async function act(reply: FastifyReply, id: string, done: string, work: () => Promise<unknown>) {
    try {
      await work();
    } catch (error) {
      const refused = asApiError(error);
      if (refused?.status === 409) {
        return reply.redirect(`/invoices/${encodeURIComponent(id)}?problem=${refused.code}`, 303);
      }
      throw error;
    }
    return reply.redirect(`/invoices/${encodeURIComponent(id)}?done=${done}`, 303);
  }

  app.post<{ Params: { id: string } }>(
    "/invoices/:id/retry",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant, user } = requirePermission(request, "act");
      return act(reply, request.params.id, "retry", async () => {
        await retryInvoice(db, deps.events, tenant, request.params.id, personActor(user));
        deps.worker?.kick();
      });
    },
  );

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
    "/invoices/:id/reconcile",
    { config: { dashboard: true } },
    async (request, reply) => {
      const { tenant, user } = requirePermission(request, "act");
      const body = request.body ?? {};
      const reason = typeof body.reason === "string" ? body.reason.trim() : "";
      const number = typeof body.fbrInvoiceNumber === "string" ? body.fbrInvoiceNumber.trim() : "";
      if (reason === "" || reason.length > 500) {
        throw new PageError(400, "Say why (up to 500 characters): the reason goes into the audit trail.");
      }
      if (number.length > 100) throw new PageError(400, "That FBR invoice number is too long.");
      // The reason travels with each decision into the audit entry the service writes.
      let decision: ReconcileRequest & { reason: string };
      if (number !== "") decision = { action: "fbr_number", fbrInvoiceNumber: number, reason };
      else if (body.action === "abandon") decision = { action: "abandon", reason };
      else if (body.action === "resubmit") decision = { action: "resubmit", reason };
      else
        throw new PageError(
          400,
          "Choose abandon or resubmit, or give the FBR invoice number you found in IRIS.",
        );
      return act(reply, request.params.id, decision.action, async () => {
        const row = await reconcileInvoice(
          db,
          deps.events,
          tenant.id,
          request.params.id,
          decision,
          personActor(user),
          deps.fbrNumberLookup,
        );
        if (row.state === "queued") deps.worker?.kick();
      });
    },
  );
}

/** Stored exchange bodies, pretty-printed and passed through the one redaction list (STYLE principle 14). */
function redactedJson(text: string): string {
  try {
    return JSON.stringify(redactSecrets(JSON.parse(text)), null, 2);
  } catch {
    return text;
  }
}
