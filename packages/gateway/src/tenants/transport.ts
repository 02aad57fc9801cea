// A tenant's own way to FBR (issue 12). PRAL itself takes a static Bearer token from a whitelisted public IP;
// a business on dynamic egress routes through a fixed-IP proxy, and a licensed integrator's relay in front
// of FBR may want mutual TLS or an OAuth2 client-credentials token instead. All of it is sealed as ONE
// secret under the master key, bound to `<tenant id>:transport` (so it cannot be swapped with the FBR token
// or another tenant's row), and never logged: summaries and audit entries name the proxy's host, the
// certificate's subject, expiry and fingerprint, and the OAuth2 client id, never a key, secret or password.
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database, TenantRow } from "../store/schema.ts";
import { decryptSecret, encryptSecret } from "./secret-box.ts";
import { changeTenantCredentials, requireTenant, TenantError } from "./tenants.ts";

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

export const tenantTransportSchema = z.strictObject({
  /** The relay's origin, used instead of the gateway's fbrUrl for this tenant's DI and reference calls. */
  fbrUrl: httpUrl.optional(),
  /** Outbound proxy for this tenant's FBR calls (credentials in the URL); "direct" ignores the global one. */
  proxy: z.union([z.literal("direct"), httpUrl]).optional(),
  /** Client certificate and key (PEM) presented to a relay that requires mutual TLS. */
  clientCertificate: z
    .strictObject({
      certPem: z.string().min(1),
      keyPem: z.string().min(1),
      passphrase: z.string().min(1).optional(),
    })
    .optional(),
  /**
   * Highest TLS version offered with a client certificate; default TLSv1.2. Under TLS 1.3 the server checks
   * the client certificate only after the client has sent its request, so a refused certificate reads as
   * "written, then the connection closed" (in doubt: a person must reconcile every post); under TLS 1.2 it
   * fails the handshake, before anything is written (not sent: retried safely).
   */
  maxTlsVersion: z.enum(["TLSv1.2", "TLSv1.3"]).optional(),
  /** CA certificate(s) (PEM) that sign the relay's server certificate; replaces the system's list for it. */
  caPem: z.string().min(1).optional(),
  /** OAuth2 client credentials (RFC 6749 §4.4) for a relay's token, sent instead of the static FBR token. */
  oauth2: z
    .strictObject({
      tokenUrl: httpUrl,
      clientId: z.string().min(1),
      clientSecret: z.string().min(1),
      scope: z.string().min(1).optional(),
    })
    .optional(),
});

export type TenantTransport = z.output<typeof tenantTransportSchema>;

export interface TenantTransportSummary {
  fbrUrl?: string;
  /** "direct", or the proxy's origin without its credentials. */
  proxy?: string;
  clientCertificate?: { subject: string; issuer: string; validTo: string; fingerprint256: string };
  maxTlsVersion?: "TLSv1.2" | "TLSv1.3";
  ca?: { subject: string; validTo: string };
  oauth2?: { tokenUrl: string; clientId: string; scope?: string };
}

/** The associated data the transport is sealed with: never the same as the FBR token's (the tenant id). */
const boundTo = (tenantId: string) => `${tenantId}:transport`;

function certificateOf(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TenantError(`${field} is not a PEM certificate`);
  }
}

/**
 * Validates a transport: the shape (zod), then what a TLS handshake would otherwise find out much later: the
 * certificate and key parse, belong together and are in date, and the CA parses. Errors name the field and
 * never echo a value (a URL may carry a password).
 */
export function checkTenantTransport(input: unknown, now: Date = new Date()): TenantTransport {
  const parsed = tenantTransportSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown transport setting(s): ${issue.keys.join(", ")}`
        : `${issue.path.join(".") || "transport"}: ${issue.message}`,
    );
    throw new TenantError(`invalid transport: ${problems.join("; ")}`);
  }
  const transport = parsed.data;
  const client = transport.clientCertificate;
  if (client !== undefined) {
    const certificate = certificateOf(client.certPem, "clientCertificate.certPem");
    let key: KeyObject;
    try {
      key = createPrivateKey({
        key: client.keyPem,
        ...(client.passphrase !== undefined ? { passphrase: client.passphrase } : {}),
      });
    } catch {
      throw new TenantError(
        "clientCertificate.keyPem cannot be read: not a PEM private key, or a wrong or missing passphrase",
      );
    }
    if (!certificate.checkPrivateKey(key)) {
      throw new TenantError("clientCertificate.keyPem does not belong to clientCertificate.certPem");
    }
    if (new Date(certificate.validTo).getTime() < now.getTime()) {
      throw new TenantError(`clientCertificate.certPem expired on ${certificate.validTo}`);
    }
  }
  if (transport.caPem !== undefined) certificateOf(transport.caPem, "caPem");
  if (transport.maxTlsVersion !== undefined && client === undefined) {
    throw new TenantError("maxTlsVersion applies to a client certificate: set clientCertificate too");
  }
  if (Object.keys(transport).length === 0) {
    throw new TenantError("invalid transport: nothing set (clear it instead)");
  }
  return transport;
}

/** The proxy URL without user name and password. */
export function proxyOrigin(proxy: string): string {
  return proxy === "direct" ? proxy : new URL(proxy).origin;
}

export function summariseTenantTransport(transport: TenantTransport): TenantTransportSummary {
  const summary: TenantTransportSummary = {};
  if (transport.fbrUrl !== undefined) summary.fbrUrl = transport.fbrUrl;
  if (transport.proxy !== undefined) summary.proxy = proxyOrigin(transport.proxy);
  if (transport.clientCertificate !== undefined) {
    const certificate = new X509Certificate(transport.clientCertificate.certPem);
    summary.clientCertificate = {
      subject: certificate.subject,
      issuer: certificate.issuer,
      validTo: certificate.validTo,
      fingerprint256: certificate.fingerprint256,
    };
  }
  if (transport.maxTlsVersion !== undefined) summary.maxTlsVersion = transport.maxTlsVersion;
  if (transport.caPem !== undefined) {
    const ca = new X509Certificate(transport.caPem);
    summary.ca = { subject: ca.subject, validTo: ca.validTo };
  }
  if (transport.oauth2 !== undefined) {
    const { tokenUrl, clientId, scope } = transport.oauth2;
    summary.oauth2 = { tokenUrl, clientId, ...(scope !== undefined ? { scope } : {}) };
  }
  return summary;
}

/** The tenant's transport, or undefined when it uses the gateway's global settings. */
export function openTenantTransport(masterKey: Buffer, tenant: TenantRow): TenantTransport | undefined {
  if (tenant.transport_enc === null) return undefined;
  // Parsed again so a row written by a newer version (or edited by hand) fails here, by name.
  return tenantTransportSchema.parse(
    JSON.parse(decryptSecret(masterKey, tenant.transport_enc, boundTo(tenant.id))),
  );
}

/** A short, stable fingerprint of what is stored (for caches): changes whenever the transport changes. */
export function transportFingerprint(tenant: TenantRow): string {
  return createHash("sha256")
    .update(`${tenant.fbr_token_enc}\n${tenant.transport_enc ?? ""}`)
    .digest("hex");
}

/**
 * Sets (replaces as a whole) or clears (`null`) a tenant's transport. New credentials are a reason to try
 * again: a tenant paused because FBR (or the relay) refused it resumes, like a new FBR token
 * (tenants.ts changeTenantCredentials).
 */
export async function setTenantTransport(
  db: Kysely<Database>,
  masterKey: Buffer,
  idOrNtn: string,
  input: unknown,
  actor = "cli",
  now: Date = new Date(),
): Promise<{ transport: TenantTransportSummary | null; resumed: number }> {
  const transport = input === null ? null : checkTenantTransport(input, now);
  const tenant = await requireTenant(db, idOrNtn);
  const summary = transport === null ? null : summariseTenantTransport(transport);
  const resumed = await changeTenantCredentials(
    db,
    tenant,
    {
      transport_enc:
        transport === null ? null : encryptSecret(masterKey, JSON.stringify(transport), boundTo(tenant.id)),
    },
    {
      action: transport === null ? "tenant.transport_cleared" : "tenant.transport_changed",
      details: { transport: summary },
    },
    actor,
  );
  return { transport: summary, resumed };
}
