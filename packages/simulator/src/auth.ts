// WSO2 API Manager sits in front of PRAL's services (FBR-SPEC §1): it answers auth problems itself with a
// `fault` envelope, before the request reaches DI or IMS.
import type { DiEnvironment, TokenGrant, WorldIndex } from "./world.ts";

export interface Wso2FaultBody {
  fault: { code: number; message: string; description: string; type?: string };
}

/** Which API a route belongs to: decides the auth rules and the error envelope. */
export type ApiFamily = "di" | "reference" | "ims";

/** WSO2 names the API by its context, the first two path segments: "/di_data/v1", "/FBR/v1", "/pdi/v2". */
export function apiContextOfPath(path: string): string {
  const [first = "", second = ""] = path.split("?")[0]?.split("/").filter(Boolean) ?? [];
  return `/${first}/${second}`;
}

export function missingCredentialsFault(): Wso2FaultBody {
  return {
    fault: {
      code: 900902,
      message: "Missing Credentials",
      description:
        'Required OAuth credentials not provided. Make sure your API invocation call has a header: "Authorization: Bearer ACCESS_TOKEN"',
    },
  };
}

export function invalidCredentialsFault(apiContext: string): Wso2FaultBody {
  return {
    fault: {
      code: 900901,
      message: "Invalid Credentials",
      description: `Access failure for API: ${apiContext}, version: v1 status: (900901) - Invalid Credentials. Make sure you have provided the correct security credentials`,
    },
  };
}

export function forbiddenFault(apiContext: string): Wso2FaultBody {
  return {
    fault: {
      code: 900908,
      message: "Resource forbidden ",
      description: `Access failure for API: ${apiContext}, version: v1 status: (900908) - Resource forbidden `,
    },
  };
}

export function throttledFault(): Wso2FaultBody {
  return {
    fault: {
      code: 900802,
      message: "Message throttled out",
      description: "You have exceeded your quota",
    },
  };
}

export function noMatchingResourceFault(status: 404 | 405): Wso2FaultBody {
  return {
    fault: {
      code: status,
      type: "Status report",
      message: "Runtime Error",
      description: "No matching resource found for given API Request",
    },
  };
}

/** Reads `Authorization: Bearer <token>`; anything else counts as missing (WSO2 900902). */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value.trim());
  return match?.[1];
}

export type AuthDecision =
  | { ok: true; grant: TokenGrant }
  | { ok: false; status: 401 | 403; body: Wso2FaultBody };

/**
 * Decides what WSO2 says before any business rule runs. A production token on a `_sb` path (or the
 * reverse) gets 401 [integrator report]; a valid token for the other product (a DI token on IMS) gets
 * 403 900908 "Resource forbidden" like an unsubscribed API.
 */
export function authorise(
  world: WorldIndex,
  authorization: string | string[] | undefined,
  route: { family: ApiFamily; environment: DiEnvironment | undefined; path: string },
): AuthDecision {
  const { family, environment } = route;
  const context = apiContextOfPath(route.path);
  const token = bearerToken(authorization);
  if (token === undefined) return { ok: false, status: 401, body: missingCredentialsFault() };
  const grant = world.grantForToken(token);
  if (!grant) return { ok: false, status: 401, body: invalidCredentialsFault(context) };
  if (family === "ims") {
    if (grant.kind !== "ims") return { ok: false, status: 403, body: forbiddenFault(context) };
    if (environment && !grant.terminal.environments.includes(environment)) {
      return { ok: false, status: 401, body: invalidCredentialsFault(context) };
    }
    return { ok: true, grant };
  }
  if (grant.kind !== "di") return { ok: false, status: 403, body: forbiddenFault(context) };
  // Reference APIs route on the token alone (spec: "routing will be based on the security token").
  if (family === "di" && environment && grant.environment !== environment) {
    return { ok: false, status: 401, body: invalidCredentialsFault(context) };
  }
  return { ok: true, grant };
}
