import { renderFbrQrPng, renderFbrQrSvg } from "@raseed/sdk";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  buildSubmittedInvoice,
  findReplay,
  getInvoice,
  listAttempts,
  listInvoices,
  localVerdict,
  parseSubmission,
  prepareInvoice,
  retryInvoice,
  submissionKey,
  submitInvoice,
  toInvoiceView,
  validateForTenant,
} from "../../invoices/invoice-service.ts";
import { settledStates } from "../../invoices/lifecycle.ts";
import { reconcileInvoice } from "../../invoices/reconcile.ts";
import { createFbrClient, fbrTransport } from "../../outbox/dispatch.ts";
import { GroupCommitter } from "../../store/group-commit.ts";
import type { InvoiceRow } from "../../store/schema.ts";
import { ApiError } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute, submitBodySchema } from "../openapi.ts";
import { invoiceListFilters, listRange, parseQuery, waitSeconds } from "../query.ts";
import { attemptsSchema, invoicePageSchema, invoiceViewSchema, validateAnswerSchema } from "../views.ts";
import { waitUntilSettled } from "../wait-settled.ts";

const MAX_WAIT_SECONDS = 30;

const waitQuery = z.object({ wait: waitSeconds(MAX_WAIT_SECONDS).optional() }).loose();
const remoteQuery = z.object({ remote: z.enum(["true", "false"]).optional() }).loose();
const location = { Location: "Where the invoice can be read: /v1/invoices/{id}" };
export const listQuerySchema = z.strictObject({
  ...invoiceListFilters,
  externalRef: z.string().min(1).optional(),
});
/** The list filters of GET /v1/invoices (and `raseed invoices list`), checked with field-named messages. */
export function parseInvoiceListQuery(query: unknown) {
  const parsed = parseQuery(listQuerySchema, query);
  return {
    ...listRange(parsed),
    limit: parsed.limit,
    state: parsed.state as InvoiceRow["state"] | undefined,
    externalRef: parsed.externalRef,
    cursor: parsed.cursor,
  };
}

export const reconcileBodySchema = z.union([
  z.strictObject({ fbrInvoiceNumber: z.string().min(1).max(100), dated: z.string().optional() }),
  z.strictObject({ action: z.literal("resubmit") }),
  z.strictObject({ action: z.literal("abandon"), reason: z.string().max(500).optional() }),
]);

export function registerInvoiceRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db } = deps.store;
  const committer = deps.committer ?? new GroupCommitter(db);

  const waitForSettled = (row: InvoiceRow, seconds: number) =>
    waitUntilSettled(deps, row, seconds, (tenantId, id) => getInvoice(db, tenantId, id));

  app.post(
    "/v1/invoices",
    {
      config: { scope: "invoices:write" },
      schema: describeRoute("Submit an invoice for reporting to FBR", {
        tags: ["invoices"],
        body: submitBodySchema(),
        querystring: waitQuery,
        description:
          "Validated locally (422 lists every issue); stored with its outbox entry in one transaction; 202. " +
          "Idempotency-Key header or externalRef: same body returns the stored invoice, another body is a 409. " +
          "Without either, the key is derived from the tenant and the body's canonical hash (`auto:` + 64 hex), " +
          "so an identical resend is the same invoice; the answer's Idempotency-Key header says which key was " +
          "used, and X-Raseed-Idempotency-Key whether it was the client's or derived.",
        responses: {
          202: { description: "Stored and queued for FBR", json: invoiceViewSchema, headers: location },
          200: {
            description: "A replay of a stored invoice, or one that settled within ?wait",
            json: invoiceViewSchema,
            headers: location,
          },
        },
        errors: { 409: ["idempotency_conflict"], 422: ["validation_failed"] },
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const { wait } = parseQuery(waitQuery, request.query);
      const { tenant } = auth;
      const header = request.headers["idempotency-key"];
      const parsed = parseSubmission(request.body, typeof header === "string" ? header : undefined);
      // Which key the invoice is kept under: the client's, or one derived from the tenant and the payload.
      const { key, derived } = submissionKey(tenant.id, parsed);
      const envelope = { ...parsed, externalRef: key };
      reply.header("Idempotency-Key", key).header("X-Raseed-Idempotency-Key", derived ? "derived" : "client");
      // A replay is answered from the store, even if today's rules would now judge the invoice differently.
      const replayed = await findReplay(db, tenant.id, envelope);
      if (replayed !== undefined) {
        deps.metrics?.submissions.inc({ result: "replayed" });
        reply.header("Location", `/v1/invoices/${replayed.id}`);
        return reply.status(200).send(toInvoiceView(await waitForSettled(replayed, wait ?? 0)));
      }
      const prepared = {
        ...envelope,
        invoice: buildSubmittedInvoice(envelope.content, tenant),
        replayChecked: true,
      };
      const issues = validateForTenant(prepared.invoice, tenant);
      if (issues.length > 0) {
        deps.metrics?.submissions.inc({ result: "invalid" });
        throw new ApiError(
          "validation_failed",
          `the invoice has ${issues.length} problem(s); nothing was queued`,
          {
            issues,
          },
        );
      }
      const { created, row } = await submitInvoice(db, committer, tenant, prepared, `api:${auth.keyId}`);
      deps.metrics?.submissions.inc({ result: created ? "queued" : "replayed" });
      if (created) deps.worker?.kick();
      const final = await waitForSettled(row, wait ?? 0);
      reply.header("Location", `/v1/invoices/${row.id}`);
      const status = created && !settledStates.has(final.state) ? 202 : 200;
      return reply.status(status).send(toInvoiceView(final));
    },
  );

  app.post(
    "/v1/invoices/validate",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute(
        "Validate without storing (locally; with ?remote=true also FBR's validate endpoint)",
        {
          tags: ["invoices"],
          body: submitBodySchema(),
          querystring: remoteQuery,
          responses: {
            200: {
              description: "The local verdict, and FBR's with ?remote=true",
              json: validateAnswerSchema,
            },
          },
          errors: { 403: ["forbidden"] },
          description:
            "?remote=true spends the seller's FBR token on FBR's validate endpoint, so it also needs the " +
            "`invoices:write` scope (403 `forbidden` without it).",
        },
      ),
    },
    async (request) => {
      const auth = requireAuth(request);
      const { remote } = parseQuery(remoteQuery, request.query);
      // A read-only key must not spend the seller's FBR token (issue 13).
      if (remote === "true" && !auth.scopes.has("invoices:write")) {
        throw new ApiError("forbidden", 'validate?remote=true needs the "invoices:write" scope');
      }
      const { tenant } = auth;
      const prepared = prepareInvoice(request.body, undefined, tenant);
      const verdict = localVerdict(prepared.invoice, tenant);
      // valid / invalid / valid-fbr-will-check, with the rules only FBR can still check named.
      const local = {
        valid: verdict.valid,
        verdict: verdict.verdict,
        issues: verdict.issues,
        fbrWillCheck: verdict.fbrWillCheck,
      };
      if (remote !== "true") return { local, invoice: prepared.invoice };
      // The tenant's own way to FBR (relay, proxy, client certificate, OAuth2 token) or the global one.
      const client = createFbrClient(fbrTransport(deps), {
        channel: "di",
        tenant,
      });
      const outcome = await client.validateInvoice(prepared.invoice);
      const { exchange, ...rest } = outcome;
      return {
        local,
        invoice: prepared.invoice,
        remote: { ...rest, httpStatus: exchange?.status ?? null, durationMs: exchange?.durationMs ?? null },
      };
    },
  );

  app.get(
    "/v1/invoices",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("List invoices, newest first, with cursor paging", {
        tags: ["invoices"],
        description:
          "from/to filter on the invoice's own date (invoiceDate, Pakistan calendar), both ends inclusive; " +
          "createdFrom/createdTo on when Raseed stored it (an instant, or a YYYY-MM-DD Pakistan day).",
        querystring: listQuerySchema,
        responses: { 200: { description: "One page of invoices", json: invoicePageSchema } },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      const page = await listInvoices(db, auth.tenantId, parseInvoiceListQuery(request.query));
      return { items: page.items.map((row) => toInvoiceView(row)), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/invoices/:id",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("Get one invoice with its FBR payload and state", {
        tags: ["invoices"],
        responses: { 200: { description: "The invoice with its FBR payload", json: invoiceViewSchema } },
        errors: { 404: ["not_found"] },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      return toInvoiceView(await getInvoice(db, auth.tenantId, request.params.id), true);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/invoices/:id/attempts",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("Every FBR exchange for the invoice, secrets redacted", {
        tags: ["invoices"],
        responses: { 200: { description: "The attempts, oldest first", json: attemptsSchema } },
        errors: { 404: ["not_found"] },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      const rows = await listAttempts(db, auth.tenantId, request.params.id);
      return {
        items: rows.map((a) => ({
          id: a.id,
          attemptNo: Number(a.attempt_no),
          startedAt: a.started_at,
          finishedAt: a.finished_at,
          outcome: a.outcome,
          url: a.url,
          httpStatus: a.http_status === null ? null : Number(a.http_status),
          durationMs: a.duration_ms === null ? null : Number(a.duration_ms),
          reason: a.reason,
          requestBody: a.request_body,
          responseBody: a.response_body,
        })),
      };
    },
  );

  async function acceptedNumber(tenantId: string, id: string): Promise<string> {
    const row = await getInvoice(db, tenantId, id);
    if (row.state !== "accepted" || row.fbr_invoice_number === null) {
      throw new ApiError(
        "not_accepted",
        `a QR code exists only once FBR has accepted the invoice (it is ${row.state})`,
      );
    }
    return row.fbr_invoice_number;
  }

  app.get<{ Params: { id: string } }>(
    "/v1/invoices/:id/qr.svg",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("FBR QR code (SVG) once accepted", {
        tags: ["invoices"],
        responses: { 200: { description: "FBR's QR code of the invoice number", media: "image/svg+xml" } },
        errors: { 404: ["not_found"], 409: ["not_accepted"] },
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const number = await acceptedNumber(auth.tenantId, request.params.id);
      return reply.type("image/svg+xml").send(renderFbrQrSvg(number));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/invoices/:id/qr.png",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("FBR QR code (PNG) once accepted", {
        tags: ["invoices"],
        responses: { 200: { description: "FBR's QR code of the invoice number", media: "image/png" } },
        errors: { 404: ["not_found"], 409: ["not_accepted"] },
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const number = await acceptedNumber(auth.tenantId, request.params.id);
      return reply.type("image/png").send(await renderFbrQrPng(number, {}));
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/invoices/:id/reconcile",
    {
      config: { scope: "invoices:write" },
      schema: describeRoute(
        "Settle an in_doubt or failed invoice: FBR number from IRIS, resubmit, or abandon",
        {
          tags: ["invoices"],
          body: reconcileBodySchema,
          responses: { 200: { description: "The invoice after the decision", json: invoiceViewSchema } },
          errors: {
            404: ["not_found"],
            409: ["invalid_state", "fbr_number_in_use", "fbr_number_final"],
            422: ["invalid_fbr_number", "fbr_number_unknown"],
          },
        },
      ),
    },
    async (request) => {
      const auth = requireAuth(request);
      const body = parseQuery(reconcileBodySchema, request.body ?? {}, "body");
      const decision =
        "fbrInvoiceNumber" in body
          ? { action: "fbr_number" as const, fbrInvoiceNumber: body.fbrInvoiceNumber, dated: body.dated }
          : body;
      const row = await reconcileInvoice(
        db,
        deps.events,
        auth.tenantId,
        request.params.id,
        decision,
        `api:${auth.keyId}`,
        deps.fbrNumberLookup,
      );
      if (row.state === "queued") deps.worker?.kick();
      return toInvoiceView(row);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/invoices/:id/retry",
    {
      config: { scope: "invoices:write" },
      schema: describeRoute("Retry a failed or paused invoice", {
        tags: ["invoices"],
        responses: { 200: { description: "The invoice, queued again", json: invoiceViewSchema } },
        errors: { 404: ["not_found"], 409: ["invalid_state", "tenant_paused"] },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      const { tenant } = auth;
      const row = await retryInvoice(db, deps.events, tenant, request.params.id, `api:${auth.keyId}`);
      deps.worker?.kick();
      return toInvoiceView(row);
    },
  );
}
