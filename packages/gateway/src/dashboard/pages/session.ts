// Signing in and out. The sign-in form is protected from cross-site posting by a double-submit token
// (a cookie and a hidden input that must match), since there is no session yet to bind one to.
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AuthFailureLimiter } from "../../http/middleware/auth.ts";
import { createSession, csrfTokenMatches, endSession } from "../../people/sessions.ts";
import { checkSignIn } from "../../people/users.ts";
import { type DashboardDeps, PageError, render, signedIn } from "../context.ts";
import { pkt } from "../format.ts";

export const SESSION_COOKIE = "raseed_session";
const SIGN_IN_CSRF_COOKIE = "raseed_signin";

/** Only a path on this site: `//evil.example` or `https://...` would send people elsewhere after sign-in. */
function safeNext(next: unknown): string {
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\")
    ? next
    : "/";
}

function cookieOptions(request: FastifyRequest) {
  // Secure only when the request came over TLS, so the demo on http://127.0.0.1 still works.
  return { path: "/", httpOnly: true, sameSite: "lax" as const, secure: request.protocol === "https" };
}

function showSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  data: { next: string; email?: string; problem?: string },
  status = 200,
): FastifyReply {
  const token = randomBytes(24).toString("base64url");
  reply.setCookie(SIGN_IN_CSRF_COOKIE, token, { ...cookieOptions(request), maxAge: 3_600 });
  return render(
    reply,
    request,
    "login",
    { title: "Sign in", signInToken: token, email: "", problem: null, ...data },
    status,
  );
}

export function registerSessionPages(app: FastifyInstance, deps: DashboardDeps): void {
  const { db } = deps.store;
  const addressLimiter = new AuthFailureLimiter(deps.config.signInFailuresPerMinute);

  app.get<{ Querystring: { next?: string } }>(
    "/login",
    { config: { dashboard: true, signedOut: true } },
    async (request, reply) => showSignIn(request, reply, { next: safeNext(request.query.next) }),
  );

  app.post<{ Body: Record<string, unknown> }>(
    "/login",
    { config: { dashboard: true, signedOut: true } },
    async (request, reply) => {
      const body = request.body ?? {};
      const next = safeNext(body.next);
      const cookieToken = request.cookies[SIGN_IN_CSRF_COOKIE];
      if (cookieToken === undefined || !csrfTokenMatches(cookieToken, body._csrf)) {
        throw new PageError(403, "This sign-in form has expired. Reload the page and try again.");
      }
      const blockedMs = addressLimiter.blockedFor(request.ip);
      if (blockedMs > 0) {
        reply.header("retry-after", String(Math.ceil(blockedMs / 1000)));
        throw new PageError(429, "Too many failed sign-ins from your address. Wait a minute and try again.");
      }
      const email = typeof body.email === "string" ? body.email : "";
      const password = typeof body.password === "string" ? body.password : "";
      const result = await checkSignIn(db, email, password, request.ip);
      if (!result.ok) {
        addressLimiter.recordFailure(request.ip);
        const problem =
          result.reason === "locked"
            ? `This account is locked after too many wrong passwords, until ${pkt(result.lockedUntil)}. An admin can reset the password to open it sooner.`
            : "The email or password is wrong, or the account is disabled.";
        return showSignIn(request, reply, { next, email, problem }, result.reason === "locked" ? 423 : 401);
      }
      const session = await createSession(db, result.user, request.ip);
      reply.clearCookie(SIGN_IN_CSRF_COOKIE, { path: "/" });
      reply.setCookie(SESSION_COOKIE, session.cookieValue, cookieOptions(request));
      return reply.redirect(next, 303);
    },
  );

  app.post("/logout", { config: { dashboard: true } }, async (request, reply) => {
    await endSession(db, signedIn(request));
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.redirect("/login", 303);
  });
}
