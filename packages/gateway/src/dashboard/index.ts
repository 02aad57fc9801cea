// The dashboard for people, served by the gateway on the API's port: server-rendered pages (eta through
// @fastify/view), plain CSS, a vendored htmx, form POSTs with a CSRF token. It lives in its own Fastify
// scope: its own form parser, cookies, HTML errors and security headers, none of which reach /v1.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import fastifyMultipart from "@fastify/multipart";
import fastifyView from "@fastify/view";
import { Eta } from "eta";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BackgroundCertificationRuns } from "../certification/background-runs.ts";
import { type ApiError, asApiError } from "../http/api-error.ts";
import { ImportJobs } from "../imports/import-jobs.ts";
import { csrfTokenMatches, loadSession } from "../people/sessions.ts";
import { type DashboardDeps, PageError, render } from "./context.ts";
import * as format from "./format.ts";
import { navEntries } from "./nav.ts";
import { registerCertificationPages } from "./pages/certification.ts";
import { MAX_UPLOAD_BYTES, registerImportPages } from "./pages/import.ts";
import { registerIncidentPages } from "./pages/incidents.ts";
import { registerInvoicePages } from "./pages/invoices.ts";
import { registerIssuePages } from "./pages/issue.ts";
import { registerOverviewPage } from "./pages/overview.ts";
import { registerSessionPages, SESSION_COOKIE } from "./pages/session.ts";
import { registerSettingsPages } from "./pages/settings.ts";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// Everything the pages load comes from this origin: no CDN, no web fonts, no inline script.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

function staticFile(path: string, type: string): { body: Buffer; type: string } {
  return { body: readFileSync(path), type };
}

export async function registerDashboard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const assets: Record<string, { body: Buffer; type: string }> = {
    "dashboard.css": staticFile(join(here, "static", "dashboard.css"), "text/css; charset=utf-8"),
    "htmx.min.js": staticFile(require.resolve("htmx.org/dist/htmx.min.js"), "text/javascript; charset=utf-8"),
  };
  const idleMs = deps.config.sessionIdleMinutes * 60_000;

  await app.register(async (scope) => {
    await scope.register(fastifyFormbody, { bodyLimit: 262_144 });
    // Only the import page takes a file: one, size-limited; its CSRF token is checked before the file is read.
    await scope.register(fastifyMultipart, {
      limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 4, parts: 5 },
    });
    await scope.register(fastifyCookie);
    await scope.register(fastifyView, {
      engine: { eta: new Eta({ autoEscape: true, autoTrim: false }) },
      root: join(here, "templates"),
      production: true,
      defaultContext: { nav: navEntries, format },
    });

    // Pages are not part of the API: keep them out of the OpenAPI document.
    scope.addHook("onRoute", (route) => {
      route.schema = { ...(route.schema ?? {}), hide: true };
    });

    scope.addHook("onRequest", async (request, reply) => {
      reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
      reply.header("x-frame-options", "DENY");
      reply.header("x-content-type-options", "nosniff");
      reply.header("referrer-policy", "same-origin");
      if (request.routeOptions.config?.signedOut === true) return;
      const cookie = request.cookies[SESSION_COOKIE];
      const person = cookie === undefined ? undefined : await loadSession(deps.store.db, cookie, idleMs);
      if (person === undefined) {
        // Pages and actions alike: back to the sign-in page, returning here afterwards for a page.
        const next = request.method === "GET" ? `?next=${encodeURIComponent(request.url)}` : "";
        return reply.header("cache-control", "no-store").redirect(`/login${next}`, 303);
      }
      request.person = person;
    });
    // After the body is parsed: every state-changing request carries the session's token in `_csrf`.
    scope.addHook("preHandler", async (request) => {
      if (request.method !== "POST" || request.person === undefined) return;
      // A multipart form's fields are read by its handler, which checks the token before the file; any other
      // route given a multipart body finds no token here and refuses it.
      if (request.isMultipart() && request.routeOptions.config?.multipartCsrf === true) return;
      const body = request.body as Record<string, unknown> | undefined;
      if (!csrfTokenMatches(request.person.session.csrf_token, body?._csrf)) {
        throw new PageError(
          403,
          "This form has expired or did not come from this dashboard. Reload the page and try again.",
        );
      }
    });

    scope.setErrorHandler((error: FastifyError | ApiError | PageError, request, reply) =>
      renderError(error, request, reply),
    );

    scope.get<{ Params: { name: string } }>(
      "/static/:name",
      { config: { dashboard: true, signedOut: true } },
      async (request, reply) => {
        const asset = assets[request.params.name];
        if (asset === undefined) throw new PageError(404, "No such file.");
        return reply.type(asset.type).header("cache-control", "public, max-age=3600").send(asset.body);
      },
    );

    registerSessionPages(scope, deps);
    registerOverviewPage(scope, deps);
    registerInvoicePages(scope, deps);
    registerIncidentPages(scope, deps);
    registerIssuePages(scope, deps);
    registerSettingsPages(scope, deps);
    registerImportPages(scope, deps, new ImportJobs(deps));
    registerCertificationPages(scope, deps, new BackgroundCertificationRuns(deps));
  });
}

function renderError(
  error: FastifyError | ApiError | PageError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  let status = 500;
  let message =
    "Something went wrong on our side. The details are in the gateway's log under this request id.";
  const refused = asApiError(error);
  if (error instanceof PageError) {
    status = error.status;
    message = error.message;
  } else if (refused !== undefined) {
    status = refused.status;
    message = status === 404 ? "There is nothing here, or it belongs to another company." : refused.message;
  } else if (
    "statusCode" in error &&
    typeof error.statusCode === "number" &&
    error.statusCode >= 400 &&
    error.statusCode < 500
  ) {
    status = error.statusCode;
    message = error.statusCode === 413 ? "That form was too large." : "That request could not be read.";
  }
  if (status >= 500) request.log.error({ err: error }, "dashboard page failed");
  return render(
    reply,
    request,
    "error",
    { title: titleFor(status), status, message, requestId: request.id },
    status,
  );
}

function titleFor(status: number): string {
  if (status === 403) return "Not allowed";
  if (status === 404) return "Not found";
  if (status === 429) return "Too many tries";
  return status >= 500 ? "Something went wrong" : "Cannot do that";
}
