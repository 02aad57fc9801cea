// Dispatch: one FBR post for a claimed attempt. DI and IMS are two strategies behind one interface: each
// opens its own credentials (the seller's DI token, or the POS terminal's IMS token, FBR-SPEC §11) and
// builds its client through `createFbrClient`, the gateway's one place where an FBR client is made (the
// `?remote=true` validation and the dashboard's token test use it too).
import {
  DiClient,
  FBR_GATEWAY_URL,
  type FbrEnvironment,
  IMS_AUTHORITIES,
  type ImsAuthority,
  ImsClient,
  type ImsInvoice,
  mayHoldSecret,
  type PostOutcome,
  redactSecrets,
} from "@raseed/sdk";
import type { GatewayEvents } from "../events.ts";
import type { ImsTerminalRow, InvoiceRow, TenantRow } from "../store/schema.ts";
import { type FbrConnection, type FbrConnections, fbrConnectionsOf } from "../tenants/fbr-connections.ts";
import { imsTerminalToken } from "../tenants/ims-terminals.ts";

/** Where and how the gateway reaches FBR (the configured gateway URL replaces FBR's hosts in tests). */
export interface FbrTransport {
  fbrUrl: string;
  timeoutMs: number;
  /**
   * Each tenant's origin, token source and transport (relay, proxy, client certificate, OAuth2 token;
   * tenants/fbr-connections.ts). It holds the injected fetch tests wrap (simulator fault headers).
   */
  connections: FbrConnections;
}

/** The transport from the gateway's configuration (and the test seam for fetch). */
export function fbrTransport(
  deps: Parameters<typeof fbrConnectionsOf>[0] & {
    config: { fbrTimeoutMs: number };
  },
): FbrTransport {
  return {
    fbrUrl: deps.config.fbrUrl,
    timeoutMs: deps.config.fbrTimeoutMs,
    connections: fbrConnectionsOf(deps),
  };
}

type ClientTarget =
  /** DI: the tenant's connection; `token` replaces its token (the dashboard's test of a typed token). */
  | { channel: "di"; tenant: TenantRow; token?: string }
  /** IMS: the POS terminal's own token (FBR-SPEC §11) over the tenant's proxy / client certificate. */
  | {
      channel: "ims";
      tenant: TenantRow;
      token: string;
      environment: FbrEnvironment;
      authority: ImsAuthority;
    };

/**
 * DI clients for sellers with a static token, per connection (FbrConnections makes a new connection when the
 * stored token or transport changes, so a changed token never meets an old client) and environment.
 */
const sharedDiClients = new WeakMap<FbrConnection, Map<string, DiClient>>();

/**
 * The one FBR-client factory. Clients never retry on their own (`maxRetries: 0`): the outbox is the retry
 * mechanism (one recorded attempt per post), and validation is a single question asked by a person.
 * Throws the secret box's MasterKeyError when the tenant's stored token or transport cannot be opened.
 */
export function createFbrClient(transport: FbrTransport, target: ClientTarget & { channel: "di" }): DiClient;
export function createFbrClient(
  transport: FbrTransport,
  target: ClientTarget & { channel: "ims" },
): ImsClient;
export function createFbrClient(transport: FbrTransport, target: ClientTarget): DiClient | ImsClient {
  const common = { timeoutMs: transport.timeoutMs, maxRetries: 0 };
  if (target.channel === "di") {
    const connection = transport.connections.forTenant(target.tenant);
    // A seller's static token: one client for all its posts (building one per post, its URLs parsed, was
    // ~1.7% of the drain's event loop, issue 11). A client keeps the token it last sent to redact it from
    // reasons, and a static token never changes, so concurrent posts may share it. An OAuth2 token rotates
    // (a shared client could redact one post's reason with another post's token), and a typed token is a
    // person's one-off test: those get a client of their own.
    const shared = target.token === undefined && typeof connection.token === "string";
    const key = `${target.tenant.environment} ${transport.timeoutMs}`;
    const cached = shared ? sharedDiClients.get(connection)?.get(key) : undefined;
    if (cached !== undefined) return cached;
    const client = new DiClient({
      ...common,
      baseUrl: connection.baseUrl,
      token: target.token ?? connection.token,
      fetch: connection.post,
      environment: target.tenant.environment,
    });
    if (shared) {
      const byKey = sharedDiClients.get(connection) ?? new Map<string, DiClient>();
      byKey.set(key, client);
      sharedDiClients.set(connection, byKey);
    }
    return client;
  }
  const origin = imsOrigin(transport.fbrUrl);
  return new ImsClient({
    ...common,
    token: target.token,
    environment: target.environment,
    // FBR's IMS or PRA's (Punjab), per tenant: the same model on the authority's own hosts.
    authority: target.authority,
    ...(origin !== undefined ? { baseUrl: origin } : {}),
    fetch: transport.connections.imsPostFor(target.tenant),
  });
}

/**
 * The origin that replaces the IMS authority's own hosts: the configured fbrUrl unless it is FBR's default
 * (the simulator serves every authority's IMS paths); left at the default, each authority's table origin
 * (FBR's sandbox is IMS's own host, FBR-SPEC §11; PRA's is PRAL's ims.pral.com.pk).
 */
function imsOrigin(fbrUrl: string): string | undefined {
  const trimmed = fbrUrl.replace(/\/$/, "");
  return trimmed === FBR_GATEWAY_URL ? undefined : trimmed;
}

const MAX_STORED_BODY = 64 * 1024;

/**
 * Bodies are kept for the attempts log with secrets redacted by the sdk's one list. A body that cannot
 * hold one (an invoice, FBR's answer: no key or word of the list in it) is kept as it is, unparsed: the
 * worker stores two bodies per post, and parsing, redacting and writing them again was ~8% of its CPU
 * (issue 11).
 */
export function redactBody(text: string | undefined): string | null {
  if (text === undefined) return null;
  if (!mayHoldSecret(text)) return text.slice(0, MAX_STORED_BODY);
  try {
    return JSON.stringify(redactSecrets(JSON.parse(text) as unknown)).slice(0, MAX_STORED_BODY);
  } catch {
    return text.slice(0, MAX_STORED_BODY);
  }
}

/** A claimed invoice with its attempt recorded, ready to be posted. */
export interface ClaimedAttempt {
  invoice: InvoiceRow;
  tenant: TenantRow;
  /** The lease this attempt is made under; another claim id on the row means the lease was lost. */
  claimId: string;
  attemptId: string;
  /** IMS sales post with their POS terminal's token and environment. */
  terminal?: ImsTerminalRow;
}

export interface DispatchContext {
  transport: FbrTransport;
  masterKey: Buffer;
  events: GatewayEvents;
  problem: (message: string, error?: unknown, invoiceId?: string) => void;
}

/** A post ready to go, or the outcome that stands in for it when nothing can be sent. */
type Prepared = { post: () => Promise<PostOutcome> } | { unsent: PostOutcome };

interface ChannelStrategy {
  /** The URL the attempt record names (recorded before anything is sent). */
  url(transport: FbrTransport, tenant: TenantRow, terminal: ImsTerminalRow | undefined): string;
  prepare(ctx: DispatchContext, attempt: ClaimedAttempt): Prepared;
}

const nothingSent = { url: "", requestBody: "", durationMs: 0 };

const di: ChannelStrategy = {
  url(transport, tenant) {
    const path = tenant.environment === "sandbox" ? "postinvoicedata_sb" : "postinvoicedata";
    let origin = transport.fbrUrl;
    try {
      origin = transport.connections.forTenant(tenant).baseUrl; // the tenant's relay, if it has one
    } catch {
      // Cannot be opened: prepare() says why, and nothing is sent.
    }
    return `${origin.replace(/\/$/, "")}/di_data/v1/di/${path}`;
  },
  prepare(ctx, { invoice, tenant }) {
    let client: DiClient;
    try {
      client = createFbrClient(ctx.transport, { channel: "di", tenant });
    } catch (error) {
      // Our own master key cannot open the token or transport: an internal fault, not FBR refusing the
      // seller, so the invoice stays retrying (not_sent) instead of pausing the tenant, and the log says so.
      ctx.problem("the stored FBR token cannot be decrypted (wrong master key?)", error, invoice.id);
      return {
        unsent: {
          kind: "not_sent",
          reason: `the stored FBR token cannot be decrypted, nothing was sent: ${(error as Error).message}`,
          exchange: nothingSent,
        },
      };
    }
    return {
      // The stored payload's text is what FBR gets (it is JSON.stringify's, so the same bytes a parse and
      // postInvoice would write, without the parse: ~1.5% of the drain's event loop, issue 11).
      post: () => client.postInvoiceJson(invoice.payload),
    };
  },
};

/**
 * An IMS sale: the tenant's IMS authority's PostData (FBR's, or PRA's) with the POS terminal's own token
 * (FBR-SPEC §11), same settlement.
 */
const ims: ChannelStrategy = {
  url({ fbrUrl }, tenant, terminal) {
    const endpoint =
      IMS_AUTHORITIES[tenant.ims_authority].postData[terminal?.environment ?? tenant.environment];
    return `${imsOrigin(fbrUrl) ?? endpoint.origin}${endpoint.path}`;
  },
  prepare(ctx, { invoice, tenant, terminal }) {
    let token: string;
    try {
      if (terminal === undefined) throw new Error(`POSID ${invoice.pos_id} is no longer registered`);
      token = imsTerminalToken(ctx.masterKey, terminal);
    } catch (error) {
      return {
        unsent: {
          kind: "unauthorised",
          reason: `no usable IMS token for this POS terminal, nothing was sent: ${(error as Error).message}`,
          exchange: nothingSent,
        },
      };
    }
    let client: ImsClient;
    try {
      client = createFbrClient(ctx.transport, {
        channel: "ims",
        tenant,
        token,
        environment: terminal.environment,
        authority: tenant.ims_authority,
      });
    } catch (error) {
      // The tenant's transport (proxy, client certificate) cannot be opened: nothing sent, not FBR's doing.
      ctx.problem("the tenant's stored transport cannot be decrypted (wrong master key?)", error, invoice.id);
      return {
        unsent: {
          kind: "not_sent",
          reason: `the tenant's stored transport cannot be decrypted, nothing was sent: ${(error as Error).message}`,
          exchange: nothingSent,
        },
      };
    }
    return { post: () => client.postData(JSON.parse(invoice.payload) as ImsInvoice) };
  },
};

const strategies = { di, ims } as const;

export function attemptUrl(
  transport: FbrTransport,
  invoice: InvoiceRow,
  tenant: TenantRow,
  terminal: ImsTerminalRow | undefined,
): string {
  return strategies[invoice.channel].url(transport, tenant, terminal);
}

/** Posts one attempt and reports the call; never throws. */
export async function dispatchAttempt(ctx: DispatchContext, attempt: ClaimedAttempt): Promise<PostOutcome> {
  const prepared = strategies[attempt.invoice.channel].prepare(ctx, attempt);
  if ("unsent" in prepared) return prepared.unsent;
  let outcome: PostOutcome;
  try {
    outcome = await prepared.post();
  } catch (error) {
    // The client is meant to classify everything; if it throws anyway we cannot know whether the
    // request was written, so the only safe answer is in_doubt.
    outcome = { kind: "in_doubt", reason: `unexpected client failure: ${(error as Error).message}` };
  }
  ctx.events.emit("fbr.call", {
    tenantId: attempt.tenant.id,
    outcome: outcome.kind,
    durationMs: outcome.exchange?.durationMs ?? 0,
    errorCodes: outcome.kind === "rejected" ? outcome.errors.map((e) => e.code) : [],
  });
  return outcome;
}
