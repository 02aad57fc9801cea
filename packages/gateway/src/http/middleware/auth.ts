// Bearer API-key authentication for every route not marked public in its route config.
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.ts";
import {
  type AuthenticatedKey,
  authenticateApiKey,
  authenticateApiKeyCounting,
} from "../../tenants/tenants.ts";
import { ApiError } from "../api-error.ts";
import type { SharedWindowCounter } from "./shared-rate-limit.ts";

declare module "fastify" {
  interface FastifyRequest {
    auth?: AuthenticatedKey;
  }
  interface FastifyContextConfig {
    /** No API key needed (health checks, API docs). */
    public?: boolean;
    /** A dashboard page: people sign in with a session instead (dashboard/), never with an API key. */
    dashboard?: boolean;
    /** The scope an API key needs for this route. */
    scope?: string;
  }
}

/**
 * Failed authentications per client IP in fixed one-minute windows. The per-key limit counts only after a
 * key is known, so without this a client could try keys as fast as the gateway answers.
 */
export class AuthFailureLimiter implements FailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();
  constructor(private readonly perMinute: number) {}

  /** Milliseconds until this IP may try again, or 0 when it may try now. */
  blockedFor(ip: string, now = Date.now()): number {
    const window = this.windows.get(ip);
    if (window === undefined || now - window.start >= 60_000) return 0;
    return window.failures >= this.perMinute ? 60_000 - (now - window.start) : 0;
  }

  async authenticate(db: Kysely<Database>, ip: string, key: string): Promise<Authentication> {
    const blockedMs = this.blockedFor(ip);
    return { blockedMs, auth: blockedMs > 0 ? undefined : await authenticateApiKey(db, key) };
  }

  recordFailure(ip: string, now = Date.now()): void {
    const window = this.windows.get(ip);
    if (window === undefined || now - window.start >= 60_000) {
      // Bounded memory under a spray from many addresses: expired windows are dropped first.
      if (this.windows.size >= 10_000) {
        for (const [key, value] of this.windows) if (now - value.start >= 60_000) this.windows.delete(key);
        if (this.windows.size >= 10_000) this.windows.clear();
      }
      this.windows.set(ip, { start: now, failures: 1 });
    } else {
      window.failures += 1;
    }
  }
}

interface FailureLimiter {
  blockedFor(ip: string): number | Promise<number>;
  recordFailure(ip: string): unknown;
  /** Whether `ip` is blocked (ms until it may try again, or 0) and, unless it is, `key`'s grant. */
  authenticate(db: Kysely<Database>, ip: string, key: string): Promise<Authentication>;
}

interface Authentication {
  blockedMs: number;
  auth: AuthenticatedKey | undefined;
}

/** The same limit with counts in the database, shared by every instance (PostgreSQL). */
class SharedAuthFailureLimiter implements FailureLimiter {
  constructor(
    private readonly counter: SharedWindowCounter,
    private readonly perMinute: number,
  ) {}

  async blockedFor(ip: string): Promise<number> {
    const { hits, resetsInMs } = await this.counter.read(`auth:${ip}`, 60_000);
    return hits >= this.perMinute ? resetsInMs : 0;
  }

  recordFailure(ip: string): Promise<unknown> {
    return this.counter.hit(`auth:${ip}`, 60_000);
  }

  /**
   * The address's failures and the key are read by one query (tenants.ts authenticateApiKeyCounting), not
   * one after the other: a blocked address is refused whether its key is good or not, as before.
   */
  async authenticate(db: Kysely<Database>, ip: string, key: string): Promise<Authentication> {
    const { window, resetsInMs } = this.counter.currentWindow(60_000);
    const { auth, hits } = await authenticateApiKeyCounting(db, key, { key: `auth:${ip}`, window });
    return hits >= this.perMinute ? { blockedMs: resetsInMs, auth: undefined } : { blockedMs: 0, auth };
  }
}

export function installApiKeyAuth(
  app: FastifyInstance,
  db: Kysely<Database>,
  options: { authFailuresPerMinute?: number; sharedCounter?: SharedWindowCounter } = {},
): void {
  const perMinute = options.authFailuresPerMinute ?? 30;
  const limiter: FailureLimiter =
    options.sharedCounter === undefined
      ? new AuthFailureLimiter(perMinute)
      : new SharedAuthFailureLimiter(options.sharedCounter, perMinute);
  app.addHook("onRequest", async (request, reply) => {
    const config = request.routeOptions.config;
    // The interactive docs (static pages) are public like the OpenAPI document they render.
    const route = request.routeOptions.url;
    if (
      config?.public === true ||
      config?.dashboard === true ||
      route === undefined ||
      route.startsWith("/docs")
    )
      return;
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const key = match?.[1];
    // A blocked address is refused before anything else is said about its request.
    const { blockedMs, auth } =
      key === undefined
        ? { blockedMs: await limiter.blockedFor(request.ip), auth: undefined }
        : await limiter.authenticate(db, request.ip, key);
    if (blockedMs > 0) {
      reply.header("retry-after", String(Math.ceil(blockedMs / 1000)));
      throw new ApiError("rate_limited", "too many failed authentication attempts from this address");
    }
    if (key === undefined) {
      await limiter.recordFailure(request.ip);
      throw new ApiError("unauthenticated", "send an API key as `Authorization: Bearer <key>`");
    }
    if (auth === undefined) {
      await limiter.recordFailure(request.ip);
      throw new ApiError("unauthenticated", "the API key is unknown or revoked");
    }
    if (config?.scope !== undefined && !auth.scopes.has(config.scope)) {
      throw new ApiError("forbidden", `this API key lacks the "${config.scope}" scope`);
    }
    request.auth = auth;
  });
}

export function requireAuth(request: { auth?: AuthenticatedKey }): AuthenticatedKey {
  if (request.auth === undefined) throw new ApiError("unauthenticated", "authentication required");
  return request.auth;
}
