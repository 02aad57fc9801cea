import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createWebhook, disableWebhook, listDeliveries, listWebhooks } from "../../webhooks/webhooks.ts";
import { ApiError } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute, type RouteDoc } from "../openapi.ts";
import { deliveryListSchema, webhookCreatedSchema, webhookListSchema } from "../views.ts";

export const webhookBodySchema = z.strictObject({ url: z.string().min(1).max(2000) });

export function registerWebhookRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db } = deps.store;
  const scope = (summary: string, doc: Omit<RouteDoc, "tags">) => ({
    config: { scope: "webhooks:manage" },
    schema: describeRoute(summary, { tags: ["webhooks"], ...doc }),
  });

  app.post(
    "/v1/webhooks",
    scope("Register a webhook; the signing secret is returned once", {
      body: webhookBodySchema,
      responses: { 201: { description: "Registered; keep the secret", json: webhookCreatedSchema } },
      errors: { 400: ["webhook_url_refused"] },
    }),
    async (request, reply) => {
      const auth = requireAuth(request);
      const parsed = webhookBodySchema.safeParse(request.body ?? {});
      if (!parsed.success) throw new ApiError("bad_request", 'send { "url": "https://..." }');
      const created = await createWebhook(
        db,
        deps.masterKey,
        auth.tenantId,
        parsed.data.url,
        `api:${auth.keyId}`,
        { allowPrivateNetworks: deps.config.webhookAllowPrivateNetworks },
      );
      // The signing secret is shown here once and never again.
      return reply.status(201).send(created);
    },
  );

  app.get(
    "/v1/webhooks",
    scope("List webhooks", {
      responses: { 200: { description: "The tenant's webhooks", json: webhookListSchema } },
    }),
    async (request) => {
      const auth = requireAuth(request);
      return { items: await listWebhooks(db, auth.tenantId) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/webhooks/:id",
    scope("Disable a webhook", {
      responses: { 204: { description: "Disabled" } },
      errors: { 404: ["not_found"] },
    }),
    async (request, reply) => {
      const auth = requireAuth(request);
      await disableWebhook(db, auth.tenantId, request.params.id, `api:${auth.keyId}`);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/webhooks/:id/deliveries",
    scope("Delivery log of a webhook", {
      responses: { 200: { description: "Recent deliveries, newest first", json: deliveryListSchema } },
      errors: { 404: ["not_found"] },
    }),
    async (request) => {
      const auth = requireAuth(request);
      return { items: await listDeliveries(db, auth.tenantId, request.params.id) };
    },
  );
}
