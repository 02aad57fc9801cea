// What every dashboard page handler gets: the app's dependencies, the signed-in person, and the page
// helpers (role checks, the one HTML error). Pages are thin: they call services and render a template.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppDeps } from "../http/deps.ts";
import type { SignedIn } from "../people/sessions.ts";
import type { UserRole } from "../store/schema.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the dashboard's session check; never by an API key. */
    person?: SignedIn;
  }
  interface FastifyContextConfig {
    /** A dashboard page reachable without a session (sign-in, static files). */
    signedOut?: boolean;
    /** A multipart form whose handler checks the CSRF token itself, before reading the file (import). */
    multipartCsrf?: boolean;
  }
}

/** A page-level failure shown as an HTML page with this status (never the API's JSON envelope). */
export class PageError extends Error {
  override readonly name = "PageError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type DashboardDeps = AppDeps;

export function signedIn(request: FastifyRequest): SignedIn {
  if (request.person === undefined) throw new PageError(401, "Sign in first.");
  return request.person;
}

/** What each role may do. Auditors read everything of their tenant and act on nothing. */
export const rolePermissions = {
  act: ["admin", "operator"],
  issue: ["admin", "operator"],
  configure: ["admin"],
} as const satisfies Record<string, readonly UserRole[]>;

export type Permission = keyof typeof rolePermissions;

export function can(role: UserRole, permission: Permission): boolean {
  return (rolePermissions[permission] as readonly UserRole[]).includes(role);
}

export function requirePermission(request: FastifyRequest, permission: Permission): SignedIn {
  const person = signedIn(request);
  if (!can(person.user.role, permission)) {
    throw new PageError(403, `Your role (${person.user.role}) cannot do this. Ask an admin of your company.`);
  }
  return person;
}

/** Renders a template with the layout's shared data (person, nav, CSRF token). */
export function render(
  reply: FastifyReply,
  request: FastifyRequest,
  template: string,
  data: Record<string, unknown>,
  status = 200,
): FastifyReply {
  const person = request.person;
  const base = {
    person:
      person === undefined
        ? null
        : {
            email: person.user.email,
            role: person.user.role,
            tenantName: person.tenant.name,
            tenantNtn: person.tenant.ntn,
            environment: person.tenant.environment,
          },
    csrf: person?.session.csrf_token ?? "",
    path: request.url.split("?")[0] ?? "/",
    can: (permission: Permission) => person !== undefined && can(person.user.role, permission),
  };
  return reply
    .status(status)
    .header("cache-control", "no-store")
    .view(template, { ...base, ...data }) as unknown as FastifyReply;
}
