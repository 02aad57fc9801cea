// The IMS channel: POS bridges and tills hand the gateway FBR's IMS invoice model (PascalCase) and get
// the fiscal number back through the same outbox, worker and lifecycle as DI invoices.
import { imsInvoiceSchema } from "@raseed/sdk";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  findImsReplay,
  getImsInvoice,
  parseImsSubmission,
  submitImsInvoice,
  toImsInvoiceView,
  validateImsForTenant,
} from "../../invoices/ims-service.ts";
import { searchInvoices } from "../../invoices/invoice-reads.ts";
import { settledStates } from "../../invoices/lifecycle.ts";
import { GroupCommitter } from "../../store/group-commit.ts";
import type { InvoiceState } from "../../store/schema.ts";
import { ApiError } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";
import { invoiceListFilters, listRange, parseQuery, waitSeconds, wholeNumber } from "../query.ts";
import { imsInvoicePageSchema, imsInvoiceViewSchema } from "../views.ts";
import { waitUntilSettled } from "../wait-settled.ts";

const MAX_WAIT_SECONDS = 30;
const imsLocation = { Location: "Where the sale can be read: /v1/ims/invoices/{id}" };

export const imsWaitQuerySchema = z.object({ wait: waitSeconds(MAX_WAIT_SECONDS).optional() }).loose();
export const imsListQuerySchema = z.strictObject({
  ...invoiceListFilters,
  posId: wholeNumber(1, 2_147_483_647).optional().describe("The POSID the sale was rung up on"),
  usin: z.string().min(1).max(100).optional().describe("The POS's unique sale number (with posId: one sale)"),
});

export function registerImsInvoiceRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db } = deps.store;
  const committer = deps.committer ?? new GroupCommitter(db);
  const load = (tenantId: string, id: string) => getImsInvoice(db, tenantId, id);

  app.post(
    "/v1/ims/invoices",
    {
      config: { scope: "invoices:write" },
      schema: describeRoute("Submit an IMS sale (FBR's POS invoice model) for its fiscal number", {
        tags: ["ims"],
        body: imsInvoiceSchema as unknown as z.ZodType,
        querystring: imsWaitQuerySchema,
        description:
          "Validated locally (422 lists every issue); POSID must be a terminal registered for the key's " +
          "tenant. USIN is unique per POSID: the same USIN with the same body returns the stored sale " +
          "(200), with another body 409. Stored with its outbox entry in one transaction; 202.",
        responses: {
          202: { description: "Stored and queued for FBR", json: imsInvoiceViewSchema, headers: imsLocation },
          200: {
            description: "A replay of a stored sale, or one that settled within ?wait",
            json: imsInvoiceViewSchema,
            headers: imsLocation,
          },
        },
        errors: { 409: ["idempotency_conflict"], 422: ["validation_failed"] },
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const { wait } = parseQuery(imsWaitQuerySchema, request.query);
      const { tenant } = auth;
      const submission = parseImsSubmission(request.body);
      // A replay is answered from the store (a bridge retrying after a lost answer gets the same sale).
      const replayed = await findImsReplay(db, tenant.id, submission);
      if (replayed !== undefined) {
        deps.metrics?.submissions.inc({ result: "replayed" });
        reply.header("Location", `/v1/ims/invoices/${replayed.id}`);
        const final = await waitUntilSettled(deps, replayed, wait ?? 0, load);
        return reply.status(200).send(await toImsInvoiceView(db, final));
      }
      const issues = await validateImsForTenant(db, tenant, request.body);
      if (issues.length > 0) {
        deps.metrics?.submissions.inc({ result: "invalid" });
        throw new ApiError(
          "validation_failed",
          `the sale has ${issues.length} problem(s); nothing was queued`,
          { issues },
        );
      }
      const { created, row } = await submitImsInvoice(db, committer, tenant, submission, `api:${auth.keyId}`);
      deps.metrics?.submissions.inc({ result: created ? "queued" : "replayed" });
      if (created) deps.worker?.kick();
      const final = await waitUntilSettled(deps, row, wait ?? 0, load);
      reply.header("Location", `/v1/ims/invoices/${row.id}`);
      const status = created && !settledStates.has(final.state) ? 202 : 200;
      return reply.status(status).send(await toImsInvoiceView(db, final));
    },
  );

  app.get(
    "/v1/ims/invoices",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("List IMS sales, newest first, with cursor paging", {
        tags: ["ims"],
        querystring: imsListQuerySchema,
        description:
          "The same filters and paging as GET /v1/invoices: from/to on the sale's own date (DateTime, Pakistan " +
          "calendar, inclusive), createdFrom/createdTo on when Raseed stored it; posId and usin find one sale.",
        responses: { 200: { description: "One page of sales", json: imsInvoicePageSchema } },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      const query = parseQuery(imsListQuerySchema, request.query);
      const page = await searchInvoices(db, auth.tenantId, {
        ...listRange(query),
        channel: "ims",
        posId: query.posId,
        usin: query.usin,
        state: query.state as InvoiceState | undefined,
        limit: query.limit,
        cursor: query.cursor,
      });
      return {
        items: await Promise.all(page.items.map((row) => toImsInvoiceView(db, row))),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/ims/invoices/:id",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("Get one IMS sale with its payload, state and fiscal number", {
        tags: ["ims"],
        responses: { 200: { description: "The sale with its payload", json: imsInvoiceViewSchema } },
        errors: { 404: ["not_found"] },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      return toImsInvoiceView(db, await getImsInvoice(db, auth.tenantId, request.params.id), true);
    },
  );
}
