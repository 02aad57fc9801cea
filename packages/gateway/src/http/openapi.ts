// OpenAPI 3.1 document and interactive docs, generated from the zod schemas the routes validate with and the
// views they answer with (views.ts), so the docs cannot drift from the behaviour. Fastify's own validator and
// serializer are switched off: zod validates, routes build their answers, and these JSON schemas only describe.
// Every route states its success answers and its own error codes; the errors every route shares (auth, rate
// limit, bad JSON, a store fault) are added here once. The test harness records every (route, status) the
// test suite sees and fails on one the document does not list (installResponseObserver).
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { diInvoiceSchema, gatewayInvoiceDraftSchema } from "@raseed/sdk";
import type { FastifyInstance, FastifySchema } from "fastify";
import { z } from "zod";
import { API_ERRORS, type ApiErrorCode } from "./api-error.ts";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output" = "input"): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** A success answer: what it means and its body (JSON from a view schema, another media type, or none). */
export interface SuccessDoc {
  description: string;
  json?: z.ZodType;
  /** A non-JSON body, e.g. "application/pdf" (binary) or "text/plain". */
  media?: string;
  /** Response headers worth knowing (Location, Retry-After, X-Raseed-Copy). */
  headers?: Record<string, string>;
}

export interface RouteDoc {
  tags: string[];
  body?: z.ZodType;
  querystring?: z.ZodType;
  public?: boolean;
  description?: string;
  /** Every success status the route answers with. */
  responses: Partial<Record<200 | 201 | 202 | 204, SuccessDoc>>;
  /** The route's own error statuses and their `error.code`s (the shared ones are added by describeRoute). */
  errors?: Partial<Record<400 | 403 | 404 | 409 | 422 | 502 | 503, readonly string[]>>;
}

/** What every error answer looks like; `code` lists the codes this route gives with this status. */
function errorEnvelope(description: string, codes: readonly string[]): JsonSchema {
  return {
    description,
    content: {
      "application/json": {
        schema: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message", "requestId"],
              properties: {
                code: { type: "string", enum: [...new Set(codes)].sort() },
                message: { type: "string", description: "What went wrong, naming the field" },
                details: { description: "e.g. { issues: [...] } for validation_failed" },
                requestId: { type: "string", description: "Quote it when asking for help (server log)" },
              },
            },
          },
        },
      },
    },
  };
}

const errorDescriptions: Record<number, string> = {
  400: "The request is malformed: a field or parameter has the wrong shape (the message names it)",
  401: "No API key, or an unknown or revoked one",
  403: "The API key lacks this route's scope",
  404: "Not found for this tenant",
  409: "Conflicts with the current state",
  413: "The body is larger than this gateway accepts",
  415: "The body is not application/json",
  422: "Understood but refused: details say why",
  429: "Rate limited (Retry-After says when to try again)",
  500: "An unexpected error; the server log has the request id",
  502: "FBR could not answer",
  503: "The gateway's database cannot take writes; nothing was stored (Retry-After: 30)",
};

function successResponse(doc: SuccessDoc): JsonSchema {
  const headers =
    doc.headers === undefined
      ? {}
      : {
          headers: Object.fromEntries(
            Object.entries(doc.headers).map(([name, description]) => [name, { type: "string", description }]),
          ),
        };
  if (doc.json !== undefined) {
    return {
      description: doc.description,
      ...headers,
      content: { "application/json": { schema: jsonSchema(doc.json, "output") } },
    };
  }
  if (doc.media !== undefined) {
    const binary = !doc.media.startsWith("text/") && !doc.media.includes("svg");
    return {
      description: doc.description,
      ...headers,
      content: {
        [doc.media]: {
          schema: binary ? { type: "string", contentMediaType: doc.media } : { type: "string" },
        },
      },
    };
  }
  return { description: doc.description, ...headers, type: "null" };
}

export function describeRoute(summary: string, doc: RouteDoc): FastifySchema {
  const errors = new Map<number, string[]>();
  const add = (status: number, ...codes: string[]) =>
    errors.set(status, [...(errors.get(status) ?? []), ...codes]);
  for (const [status, codes] of Object.entries(doc.errors ?? {})) add(Number(status), ...(codes ?? []));
  // Shared by every route: an unexpected failure.
  add(500, "internal_error");
  if (doc.public !== true) {
    add(401, "unauthenticated");
    add(403, "forbidden");
    add(429, "rate_limited");
    // Any authenticated request reads (and the rate limiter may write) the store.
    add(503, "store_full", "store_unavailable");
  }
  if (doc.querystring !== undefined) add(400, "bad_request");
  if (doc.body !== undefined) {
    add(400, "invalid_json", "json_too_deep", "bad_request");
    add(413, "body_too_large");
    add(415, "unsupported_media_type");
  }
  const response: Record<string, JsonSchema> = {};
  for (const [status, success] of Object.entries(doc.responses)) {
    if (success !== undefined) response[status] = successResponse(success);
  }
  for (const [status, codes] of [...errors].sort(([a], [b]) => a - b)) {
    // The one code-to-status table decides: a route cannot document a code under another status.
    for (const code of codes) {
      if (API_ERRORS[code as ApiErrorCode] !== status) {
        throw new Error(
          `${summary}: error code ${code} is answered with ${API_ERRORS[code as ApiErrorCode]}, not ${status}`,
        );
      }
    }
    response[String(status)] = errorEnvelope(errorDescriptions[status] ?? "Error", codes);
  }
  return {
    summary,
    tags: doc.tags,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    ...(doc.body !== undefined ? { body: jsonSchema(doc.body) } : {}),
    ...(doc.querystring !== undefined ? { querystring: jsonSchema(doc.querystring) } : {}),
    response,
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

/** One answer of a documented route, as the response observer reports it. */
export interface ObservedResponse {
  method: string;
  /** The route pattern, e.g. /v1/invoices/:id. */
  route: string;
  status: number;
  /** True when the route's document lists this status. */
  documented: boolean;
}

/**
 * Reports every answer of a route that is in the OpenAPI document (tests record them and fail on an
 * undocumented status). Pages, the docs UI and unmatched URLs are not API routes and are not reported.
 */
export function installResponseObserver(
  app: FastifyInstance,
  observe: (response: ObservedResponse) => void,
): void {
  app.addHook("onResponse", async (request, reply) => {
    const schema = request.routeOptions.schema as (FastifySchema & { hide?: boolean }) | undefined;
    const route = request.routeOptions.url;
    if (schema === undefined || schema.hide === true || route === undefined) return;
    const response = (schema.response ?? {}) as Record<string, unknown>;
    observe({
      method: request.method,
      route,
      status: reply.statusCode,
      documented: Object.hasOwn(response, String(reply.statusCode)),
    });
  });
}

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // Response schemas describe; they must never reshape an answer (fast-json-stringify drops unknown fields).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Raseed gateway API",
        version: "1.0.0",
        description:
          "Report sales to FBR's Digital Invoicing reliably: submit, follow the lifecycle, reconcile. " +
          "Errors use one envelope: { error: { code, message, details?, requestId } }.",
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: "http",
            scheme: "bearer",
            description:
              "An API key made with `raseed key create`. Each operation lists the scope it needs as the role " +
              "in its security requirement (OpenAPI 3.1) and as x-raseed-scope.",
          },
        },
      },
    },
    // Each route's scope is written once, in its route config (the auth hook enforces it); the document
    // shows that same value in the security requirement, as `x-raseed-scope` and in the description.
    transform: ({ schema, url, route }) => {
      if (schema === undefined) return { schema, url };
      const scope = route.config?.scope;
      if (route.config?.public === true) return { schema: { ...schema, security: [] } as FastifySchema, url };
      const described = schema as FastifySchema & { description?: string };
      const needs = scope === undefined ? "" : `Needs an API key with the \`${scope}\` scope.`;
      const description = [described.description, needs].filter((part) => part).join(" ");
      return {
        schema: {
          ...described,
          ...(description !== "" ? { description } : {}),
          security: [{ apiKey: scope === undefined ? [] : [scope] }],
          ...(scope !== undefined ? { "x-raseed-scope": scope } : {}),
        } as FastifySchema,
        url,
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { docExpansion: "list" } });
  app.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
