import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createWebhook, disableWebhook, listDeliveries, listWebhooks } from "../../webhooks/webhooks.ts";
import { ApiError } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";

export const webhookBodySchema = z.strictObject({ url: z.string().min(1).max(2000) });

export function registerWebhookRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { db } = deps.store;
  const scope = (summary: string, body?: typeof webhookBodySchema) => ({
    config: { scope: "webhooks:manage" },
    schema: describeRoute(summary, { tags: ["webhooks"], ...(body !== undefined ? { body } : {}) }),
  });

  app.post(
    "/v1/webhooks",
    scope("Register a webhook; the signing secret is returned once", webhookBodySchema),
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

  app.get("/v1/webhooks", scope("List webhooks"), async (request) => {
    const auth = requireAuth(request);
    return { items: await listWebhooks(db, auth.tenantId) };
  });

  app.delete<{ Params: { id: string } }>(
    "/v1/webhooks/:id",
    scope("Disable a webhook"),
    async (request, reply) => {
      const auth = requireAuth(request);
      await disableWebhook(db, auth.tenantId, request.params.id, `api:${auth.keyId}`);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/webhooks/:id/deliveries",
    scope("Delivery log of a webhook"),
    async (request) => {
      const auth = requireAuth(request);
      return { items: await listDeliveries(db, auth.tenantId, request.params.id) };
    },
  );
}
