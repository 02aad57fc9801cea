// How each tenant's calls reach FBR: the one place the gateway decides origin, token source and transport
// (outbound proxy, client certificate) for DI posts, validation, reference and buyer look-ups and IMS posts.
//
// PRAL whitelists the public IP a seller registered in IRIS, so a gateway on dynamic or serverless egress
// must leave through a fixed-IP host: an HTTP(S) proxy reached with CONNECT (undici's ProxyAgent, with the
// HTTPS_PROXY / NO_PROXY conventions of its EnvHttpProxyAgent). Only FBR calls use it: webhooks and
// everything else keep their own direct connections. Connections are pooled per tenant and rebuilt when
// the tenant's stored token or transport changes; retired pools are closed at shutdown, never under a post
// in flight (closing one mid-request could turn a written post into an error we cannot classify).
import { type FetchLike, oauth2ClientCredentials, type TokenProvider } from "@raseed/sdk";
import { Agent, type Dispatcher, EnvHttpProxyAgent, fetch as undiciFetch } from "undici";
import type { TenantRow } from "../store/schema.ts";
import { postThrough } from "./post-transport.ts";
import { tenantFbrToken } from "./tenants.ts";
import { openTenantTransport, type TenantTransport } from "./transport.ts";

export interface FbrConnection {
  /** Origin FBR's paths go under: the tenant's relay, else the gateway's fbrUrl. */
  baseUrl: string;
  /** PRAL's static token, or the relay's OAuth2 token provider. */
  token: string | TokenProvider;
  /** The transport for look-ups and the OAuth2 token; absent: the sdk's default (global fetch). */
  fetch?: typeof fetch;
  /**
   * The transport DI and IMS posts (and validations) go through: undici's `request` on the same proxy /
   * client certificate (post-transport.ts), or the injected fetch when there is one (tests).
   */
  post: FetchLike;
}

export interface FbrConnectionsOptions {
  masterKey: Buffer;
  /** The gateway's FBR origin (config fbrUrl, or the simulator's). */
  fbrUrl: string;
  /** Global outbound proxy (config fbrProxy); "direct" or undefined: none. */
  proxy?: string | undefined;
  /** Hosts that bypass the global proxy (config fbrNoProxy, NO_PROXY syntax). */
  noProxy?: string | undefined;
  /** An injected transport (tests), used wherever no proxy or client certificate applies. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch for OAuth2 token expiry; tests inject one. */
  now?: () => number;
}

/** What a tenant's transport sets on the TLS connection to FBR or its relay. */
interface ClientTls {
  cert?: string;
  key?: string;
  passphrase?: string;
  ca?: string;
  maxVersion?: "TLSv1.2" | "TLSv1.3";
}

interface TenantEntry {
  /**
   * The sealed token and transport it was built from: compared as they are on every post (a SHA-256 of them
   * per post was ~1% of the worker's event loop draining at 64, issue 11).
   */
  sealed: { token: string; transport: string | null };
  connection: FbrConnection;
  dispatcher: Dispatcher | undefined;
}

interface GlobalTransport {
  dispatcher: Dispatcher | undefined;
  fetch: typeof fetch | undefined;
  post: FetchLike;
  /** The keep-alive Agent direct posts share when there is no proxy and no injected fetch. */
  postAgent: Dispatcher | undefined;
}

/** undici's fetch, typed as the global one (the sdk's clients take `typeof fetch`). */
function fetchThrough(dispatcher: Dispatcher): typeof fetch {
  const viaDispatcher = (
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ) => undiciFetch(input, { ...init, dispatcher });
  return viaDispatcher as unknown as typeof fetch;
}

/**
 * The dispatcher for a proxy and/or TLS client settings, or undefined when neither applies. Through a proxy
 * the TLS settings apply to the tunnelled connection to FBR or the relay (requestTls), never to the proxy.
 */
function buildDispatcher(
  proxy: string | undefined,
  noProxy: string,
  tls: ClientTls | undefined,
): Dispatcher | undefined {
  if (proxy === undefined && tls === undefined) return undefined;
  if (proxy === undefined) return new Agent({ connect: tls ?? {} });
  // httpProxy, httpsProxy and noProxy are always given, so EnvHttpProxyAgent never reads process.env itself
  // (only the composition root reads the environment, config.ts).
  return new EnvHttpProxyAgent({
    httpProxy: proxy,
    httpsProxy: proxy,
    noProxy,
    ...(tls !== undefined ? { connect: tls, requestTls: tls } : {}),
  });
}

function tlsOf(transport: TenantTransport | undefined): ClientTls | undefined {
  if (transport === undefined) return undefined;
  const client = transport.clientCertificate;
  if (client === undefined && transport.caPem === undefined) return undefined;
  return {
    // See TenantTransport.maxTlsVersion: a refused certificate must fail the handshake, not the request.
    ...(client !== undefined
      ? { cert: client.certPem, key: client.keyPem, maxVersion: transport.maxTlsVersion ?? "TLSv1.2" }
      : {}),
    ...(client?.passphrase !== undefined ? { passphrase: client.passphrase } : {}),
    ...(transport.caPem !== undefined ? { ca: transport.caPem } : {}),
  };
}

export class FbrConnections {
  readonly #options: FbrConnectionsOptions;
  readonly #globalProxy: string | undefined;
  /** Built on first use; shared by every tenant without settings of its own. */
  #global: GlobalTransport | undefined;
  readonly #tenants = new Map<string, TenantEntry>();
  readonly #retired: Dispatcher[] = [];
  #closed = false;

  constructor(options: FbrConnectionsOptions) {
    this.#options = options;
    this.#globalProxy = options.proxy === "direct" ? undefined : options.proxy;
  }

  /** Whether FBR calls leave through a global proxy (for the start-up log; never the URL itself). */
  get proxied(): boolean {
    return this.#globalProxy !== undefined;
  }

  /**
   * Origin, token and transport for the tenant's DI, validation, reference and buyer calls. Throws the
   * secret box's MasterKeyError when the stored token or transport cannot be decrypted.
   */
  forTenant(tenant: TenantRow): FbrConnection {
    return this.#entry(tenant).connection;
  }

  /**
   * The transport for the tenant's IMS posts (proxy and client certificate apply; the IMS token is the POS
   * terminal's own and its origin is the IMS host).
   */
  imsPostFor(tenant: TenantRow): FetchLike {
    return this.#entry(tenant).connection.post;
  }

  /** Closes every pooled connection (after the worker has drained). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all = [...this.#retired, ...[...this.#tenants.values()].map((entry) => entry.dispatcher)];
    if (this.#global?.dispatcher !== undefined) all.push(this.#global.dispatcher);
    if (this.#global?.postAgent !== undefined) all.push(this.#global.postAgent);
    this.#tenants.clear();
    await Promise.all(all.map((dispatcher) => dispatcher?.close()));
  }

  #globalTransport(): GlobalTransport {
    if (this.#global === undefined) {
      const dispatcher = buildDispatcher(this.#globalProxy, this.#options.noProxy ?? "", undefined);
      const injected = this.#options.fetch;
      // Direct posts get an Agent of their own, with fetch's defaults (keep-alive, undici's timeouts).
      const postAgent = dispatcher === undefined && injected === undefined ? new Agent() : undefined;
      this.#global = {
        dispatcher,
        fetch: dispatcher === undefined ? injected : fetchThrough(dispatcher),
        post: this.#postTransport(dispatcher ?? postAgent),
        postAgent,
      };
    }
    return this.#global;
  }

  /** Posts through `dispatcher`; without one, the injected fetch (tests). */
  #postTransport(dispatcher: Dispatcher | undefined): FetchLike {
    if (dispatcher !== undefined) return postThrough(dispatcher);
    return (this.#options.fetch ?? globalThis.fetch) as FetchLike;
  }

  #entry(tenant: TenantRow): TenantEntry {
    const known = this.#tenants.get(tenant.id);
    if (
      known !== undefined &&
      known.sealed.token === tenant.fbr_token_enc &&
      known.sealed.transport === (tenant.transport_enc ?? null)
    )
      return known;
    const entry = this.#build(tenant);
    if (known?.dispatcher !== undefined) this.#retired.push(known.dispatcher);
    this.#tenants.set(tenant.id, entry);
    return entry;
  }

  #build(tenant: TenantRow): TenantEntry {
    const { masterKey, fbrUrl } = this.#options;
    const transport = openTenantTransport(masterKey, tenant);
    const staticToken = tenantFbrToken(masterKey, tenant);
    const tls = tlsOf(transport);
    let dispatcher: Dispatcher | undefined;
    let transportFetch: typeof fetch | undefined;
    let post: FetchLike;
    if (transport?.proxy === undefined && tls === undefined) {
      // Nothing of its own: the global proxy (or none).
      const global = this.#globalTransport();
      transportFetch = global.fetch;
      post = global.post;
    } else {
      // Its own proxy applies to all its FBR calls; with only TLS settings it still honours the global one.
      const own = transport?.proxy;
      const proxy = own === undefined ? this.#globalProxy : own === "direct" ? undefined : own;
      const noProxy = own === undefined ? (this.#options.noProxy ?? "") : "";
      dispatcher = buildDispatcher(proxy, noProxy, tls);
      transportFetch = dispatcher === undefined ? this.#options.fetch : fetchThrough(dispatcher);
      post = dispatcher === undefined ? this.#globalTransport().post : this.#postTransport(dispatcher);
    }
    const oauth2 = transport?.oauth2;
    const token: string | TokenProvider =
      oauth2 === undefined
        ? staticToken
        : // The token endpoint is the relay's: reached the same way as the relay itself.
          oauth2ClientCredentials({
            tokenUrl: oauth2.tokenUrl,
            clientId: oauth2.clientId,
            clientSecret: oauth2.clientSecret,
            ...(oauth2.scope !== undefined ? { scope: oauth2.scope } : {}),
            ...(transportFetch !== undefined ? { fetch: transportFetch } : {}),
            ...(this.#options.now !== undefined ? { now: this.#options.now } : {}),
          });
    return {
      sealed: { token: tenant.fbr_token_enc, transport: tenant.transport_enc ?? null },
      connection: {
        baseUrl: transport?.fbrUrl ?? fbrUrl,
        token,
        ...(transportFetch !== undefined ? { fetch: transportFetch } : {}),
        post,
      },
      dispatcher,
    };
  }
}

const made = new WeakMap<object, FbrConnections>();

/**
 * The app's one FbrConnections: `deps.fbrConnections` when the composition root gave one (shared with the
 * worker), else one made from the config on first use (buildApp closes that one with the app).
 */
export function fbrConnectionsOf(deps: {
  fbrConnections?: FbrConnections;
  config: { fbrUrl: string; fbrProxy?: string | undefined; fbrNoProxy?: string | undefined };
  masterKey: Buffer;
  fetch?: typeof fetch;
}): FbrConnections {
  if (deps.fbrConnections !== undefined) return deps.fbrConnections;
  let connections = made.get(deps);
  if (connections === undefined) {
    connections = new FbrConnections({
      masterKey: deps.masterKey,
      fbrUrl: deps.config.fbrUrl,
      proxy: deps.config.fbrProxy,
      noProxy: deps.config.fbrNoProxy,
      ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}),
    });
    made.set(deps, connections);
  }
  return connections;
}
