// Bearer API-key authentication for every route not marked public in its route config.
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.ts";
import { type AuthenticatedKey, authenticateApiKey } from "../../tenants/tenants.ts";
import { ApiError } from "../api-error.ts";

declare module "fastify" {
  interface FastifyRequest {
    auth?: AuthenticatedKey;
  }
  interface FastifyContextConfig {
    /** No API key needed (health checks, API docs). */
    public?: boolean;
    /** The scope an API key needs for this route. */
    scope?: string;
  }
}

export function installApiKeyAuth(app: FastifyInstance, db: Kysely<Database>): void {
  app.addHook("onRequest", async (request) => {
    const config = request.routeOptions.config;
    // The interactive docs (static pages) are public like the OpenAPI document they render.
    const route = request.routeOptions.url;
    if (config?.public === true || route === undefined || route.startsWith("/docs")) return;
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (match === null || match[1] === undefined) {
      throw new ApiError(401, "unauthenticated", "send an API key as `Authorization: Bearer <key>`");
    }
    const auth = await authenticateApiKey(db, match[1]);
    if (auth === undefined) throw new ApiError(401, "unauthenticated", "the API key is unknown or revoked");
    if (config?.scope !== undefined && !auth.scopes.has(config.scope)) {
      throw new ApiError(403, "forbidden", `this API key lacks the "${config.scope}" scope`);
    }
    request.auth = auth;
  });
}

export function requireAuth(request: { auth?: AuthenticatedKey }): AuthenticatedKey {
  if (request.auth === undefined) throw new ApiError(401, "unauthenticated", "authentication required");
  return request.auth;
}
