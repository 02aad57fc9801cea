// Where the Bearer token comes from. PRAL itself issues a static token per seller and environment (valid
// for years): pass it as a string. A licensed integrator's relay in front of FBR may instead want an OAuth2
// client-credentials token (RFC 6749 §4.4): oauth2ClientCredentials caches it and fetches a new one
// before it expires.

/** Answers the Bearer token to send now; called before every attempt. */
export type TokenProvider = () => Promise<string>;

export interface OAuth2ClientCredentialsOptions {
  /** The token endpoint, e.g. https://relay.example/oauth2/token. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable so tests can let a token expire. */
  now?: () => number;
  /** A token is renewed this long before `expires_in` runs out (default 60 s), so none expires in flight. */
  refreshMarginMs?: number;
}

/** The token endpoint refused or answered something unusable. Never carries the secret or a token. */
export class TokenProviderError extends Error {
  override readonly name = "TokenProviderError";
}

/**
 * A TokenProvider for OAuth2 client credentials: one POST (form body, HTTP Basic client authentication) per
 * token lifetime; concurrent callers share one request; an answer without `expires_in` is used once.
 * @example
 * const token = oauth2ClientCredentials({ tokenUrl, clientId: "erp", clientSecret: process.env.SECRET ?? "" });
 * const client = new DiClient({ token, environment: "production", baseUrl: "https://relay.example" });
 */
export function oauth2ClientCredentials(options: OAuth2ClientCredentialsOptions): TokenProvider {
  const transport = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 60_000;
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const body = new URLSearchParams({ grant_type: "client_credentials" });
    if (options.scope !== undefined) body.set("scope", options.scope);
    const basic = Buffer.from(
      `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
    ).toString("base64");
    let response: Response;
    try {
      response = await transport(options.tokenUrl, {
        method: "POST",
        headers: {
          Authorization: `Basic ${basic}`,
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: body.toString(),
      });
    } catch (error) {
      const cause =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : "";
      throw new TokenProviderError(`token endpoint unreachable${cause === "" ? "" : `: ${cause}`}`);
    }
    const text = await response.text();
    if (!response.ok) throw new TokenProviderError(`token endpoint answered HTTP ${response.status}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TokenProviderError("token endpoint answered something that is not JSON");
    }
    const record = (json ?? {}) as { access_token?: unknown; expires_in?: unknown };
    if (typeof record.access_token !== "string" || record.access_token === "") {
      throw new TokenProviderError("token endpoint answer has no access_token");
    }
    const lifetime = Number(record.expires_in);
    cached = {
      token: record.access_token,
      // No (or a nonsense) lifetime: use it for this call only.
      expiresAt: Number.isFinite(lifetime) && lifetime > 0 ? now() + lifetime * 1000 - margin : now(),
    };
    return record.access_token;
  };

  return async () => {
    if (cached !== undefined && now() < cached.expiresAt) return cached.token;
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
