// Printable invoices (A4 and 80 mm receipt PDFs) and the exact FBR payload for manual upload in IRIS.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { fbrPayload, printInvoice } from "../../documents/documents.ts";
import { toInvoiceView } from "../../invoices/invoice-service.ts";
import { cancelInvoice, readCancellation } from "../../records/cancellations.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";
import { parseQuery } from "../query.ts";
import { cancelledInvoiceSchema } from "../views.ts";

export const pdfQuerySchema = z.strictObject({
  format: z.enum(["a4", "receipt"]).default("a4"),
  proforma: z.enum(["true", "false"]).default("false"),
});

export const cancellationBodySchema = z.strictObject({
  irisReference: z.string().trim().min(1).max(100),
  reason: z.string().trim().min(1).max(500),
  commissionerApprovalReference: z.string().trim().min(1).max(100).optional(),
});

export function registerDocumentRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db } = deps.store;

  app.post<{ Params: { id: string } }>(
    "/v1/invoices/:id/cancellation",
    {
      config: { scope: "invoices:write" },
      schema: describeRoute("Record a cancellation made in IRIS (state cancelled, audited)", {
        tags: ["documents"],
        body: cancellationBodySchema,
        description:
          "FBR's DI API has no cancellation call: cancel in IRIS, then record it here with the IRIS reference " +
          "and reason. Within 72 hours of FBR's date; after that also commissionerApprovalReference " +
          "(422 commissioner_approval_required otherwise). Only accepted invoices (409 invalid_state).",
        responses: {
          200: {
            description: "The invoice, now cancelled, with the cancellation",
            json: cancelledInvoiceSchema,
          },
        },
        errors: {
          404: ["not_found"],
          409: ["invalid_state", "fbr_refused"],
          422: ["commissioner_approval_required"],
        },
      }),
    },
    async (request) => {
      const auth = requireAuth(request);
      const body = parseQuery(cancellationBodySchema, request.body ?? {}, "body");
      const row = await cancelInvoice(db, deps.events, auth.tenant, request.params.id, body, {
        actor: `api:${auth.keyId}`,
        now: new Date(),
        ...(deps.fbrCancellation !== undefined ? { fbr: deps.fbrCancellation } : {}),
      });
      return { ...toInvoiceView(row), cancellation: await readCancellation(db, row.id) };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/invoices/:id/pdf",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("The invoice as a PDF: A4 tax invoice or 80 mm receipt", {
        tags: ["documents"],
        querystring: pdfQuerySchema,
        description:
          "Only an invoice FBR accepted prints as a tax invoice (FBR number, QR version 2 at 1.0 inch). The " +
          "first print is the ORIGINAL, later ones say DUPLICATE; each print is an audit entry. Not accepted: " +
          "409 with the state, or with ?proforma=true a PDF marked PROFORMA - NOT A TAX INVOICE.",
        responses: {
          200: {
            description: "The PDF",
            media: "application/pdf",
            headers: {
              "X-Raseed-Copy": "ORIGINAL on the first print, DUPLICATE after",
              "X-Raseed-Print": "How many times this invoice has been printed, this one included",
            },
          },
        },
        errors: { 404: ["not_found"], 409: ["not_accepted", "already_accepted"] },
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const query = parseQuery(pdfQuerySchema, request.query);
      const printed = await printInvoice(db, auth.tenant, request.params.id, {
        format: query.format,
        proforma: query.proforma === "true",
        actor: `api:${auth.keyId}`,
        ...(deps.documentLogo !== undefined ? { logo: deps.documentLogo } : {}),
      });
      return reply
        .type("application/pdf")
        .header("Content-Disposition", `inline; filename="${printed.filename}"`)
        .header("X-Raseed-Copy", printed.copy)
        .header("X-Raseed-Print", String(printed.printNumber))
        .send(printed.pdf);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/invoices/:id/fbr.json",
    {
      config: { scope: "invoices:read" },
      schema: describeRoute("The exact payload posted to FBR, for manual upload in IRIS (any state)", {
        tags: ["documents"],
        responses: {
          200: {
            description: "The payload exactly as posted (or as it will be posted)",
            json: z.record(z.string(), z.unknown()),
          },
        },
        errors: { 404: ["not_found"] },
      }),
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const payload = await fbrPayload(db, auth.tenantId, request.params.id);
      return reply
        .type("application/json; charset=utf-8")
        .header("Content-Disposition", `attachment; filename="${request.params.id}.fbr.json"`)
        .send(payload);
    },
  );
}
