// OpenAPI document and interactive docs, generated from the zod schemas the routes validate with, so the
// docs cannot drift from the behaviour. Fastify's own validator is switched off: zod validates, and
// these JSON schemas only describe.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { diInvoiceSchema, gatewayInvoiceDraftSchema } from "@raseed/sdk";
import type { FastifyInstance, FastifySchema } from "fastify";
import { z } from "zod";

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return rest;
}

const bearer = [{ apiKey: [] }];

export function describeRoute(
  summary: string,
  parts: {
    tags: string[];
    body?: z.ZodType;
    querystring?: z.ZodType;
    public?: boolean;
    description?: string;
  },
): FastifySchema {
  return {
    summary,
    tags: parts.tags,
    ...(parts.description !== undefined ? { description: parts.description } : {}),
    ...(parts.body !== undefined ? { body: jsonSchema(parts.body) } : {}),
    ...(parts.querystring !== undefined ? { querystring: jsonSchema(parts.querystring) } : {}),
    ...(parts.public === true ? {} : { security: bearer }),
  } as FastifySchema;
}

/** POST /v1/invoices: a bare FBR DI payload, `{ invoice, externalRef? }`, or `{ draft, externalRef? }`. */
export function submitBodySchema(): z.ZodType {
  return z.union([
    diInvoiceSchema as unknown as z.ZodType,
    z.object({
      externalRef: z.string().max(200).optional(),
      invoice: diInvoiceSchema as unknown as z.ZodType,
    }),
    z.object({
      externalRef: z.string().max(200).optional(),
      draft: gatewayInvoiceDraftSchema.describe("Raseed's simpler form, built with the sdk's buildDiInvoice"),
    }),
  ]);
}

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "Raseed gateway API",
        version: "1.0.0",
        description:
          "Report sales to FBR's Digital Invoicing reliably: submit, follow the lifecycle, reconcile. " +
          "Errors use one envelope: { error: { code, message, details?, requestId } }.",
      },
      components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer" } } },
    },
    // Each route's scope is written once, in its route config (the auth hook enforces it); the document
    // shows that same value as `x-raseed-scope` and in the description, so the docs cannot disagree.
    transform: ({ schema, url, route }) => {
      const scope = route.config?.scope;
      if (scope === undefined || schema === undefined) return { schema, url };
      const described = schema as FastifySchema & { description?: string };
      const needs = `Needs an API key with the \`${scope}\` scope.`;
      return {
        schema: {
          ...described,
          description: described.description === undefined ? needs : `${described.description} ${needs}`,
          "x-raseed-scope": scope,
        } as FastifySchema,
        url,
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { docExpansion: "list" } });
  app.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
