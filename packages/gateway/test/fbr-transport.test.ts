// Reaching FBR the way real deployments must (issue 12): through a fixed-IP egress proxy (CONNECT, global and
// per tenant, NO_PROXY), to a licensed integrator's relay with mutual TLS, and with the relay's OAuth2 token.
// Every part is real and on loopback: the gateway, the simulator, a CONNECT proxy, an HTTPS relay that asks
// for client certificates (test CA in fixtures/tls, see generate.sh).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { DiClient } from "@raseed/sdk";
import { type Logger, pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { FbrConnections } from "../src/tenants/fbr-connections.ts";
import { findTenant } from "../src/tenants/tenants.ts";
import { checkTenantTransport, setTenantTransport } from "../src/tenants/transport.ts";
import {
  type Loose,
  SELLER_A,
  SELLER_B,
  sampleInvoice,
  startTestGateway,
  type TestGateway,
} from "./harness.ts";
import {
  type ConnectProxy,
  type Relay,
  type RelayOptions,
  startConnectProxy,
  startRelay,
  tlsFixture,
} from "./transport-fixtures.ts";

const PROXY_PASSWORD = "proxy-pa55-9f3k";
const CLIENT_SECRET = "oauth-client-secret-77x";

function captureLogs(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger: Logger = pino({ level: "trace" }, sink);
  return { logger, text: () => lines.join("") };
}

async function attemptsOf(t: TestGateway, id: string, key = t.keyA): Promise<Loose[]> {
  return (await t.call("GET", `/v1/invoices/${id}/attempts`, { key })).body.items;
}

async function storedText(t: TestGateway): Promise<string> {
  const db = t.gateway.store.db;
  const [attempts, audit, invoices, tenants] = await Promise.all([
    db.selectFrom("attempts").selectAll().execute(),
    db.selectFrom("audit").selectAll().execute(),
    db.selectFrom("invoices").selectAll().execute(),
    db.selectFrom("tenants").selectAll().execute(),
  ]);
  return JSON.stringify({ attempts, audit, invoices, tenants });
}

describe("configuration: the HTTPS_PROXY conventions", () => {
  it("takes RASEED_FBR_PROXY, else HTTPS_PROXY / https_proxy, and NO_PROXY likewise", () => {
    const proxy = "http://egress:pw@10.0.0.5:3128";
    expect(loadConfig({ env: { HTTPS_PROXY: proxy, NO_PROXY: ".internal" } })).toMatchObject({
      fbrProxy: proxy,
      fbrNoProxy: ".internal",
    });
    expect(loadConfig({ env: { https_proxy: proxy, no_proxy: "*" } })).toMatchObject({
      fbrProxy: proxy,
      fbrNoProxy: "*",
    });
    expect(
      loadConfig({ env: { HTTPS_PROXY: proxy, RASEED_FBR_PROXY: "direct" } }).fbrProxy,
      "RASEED_FBR_PROXY wins",
    ).toBe("direct");
    expect(loadConfig({ env: {} }).fbrProxy).toBeUndefined();
  });

  it("refuses a proxy that is not an http(s) URL without echoing it (it may hold a password)", () => {
    const bad = () => loadConfig({ env: { RASEED_FBR_PROXY: `socks5://u:${PROXY_PASSWORD}@h:1080` } });
    expect(bad).toThrow(/fbrProxy/);
    expect(bad).not.toThrow(new RegExp(PROXY_PASSWORD));
  });
});

describe("FBR calls through an outbound CONNECT proxy", () => {
  let t: TestGateway;
  let proxy: ConnectProxy;
  let tenantProxy: ConnectProxy;
  const logs = captureLogs();

  beforeAll(async () => {
    proxy = await startConnectProxy("egress", PROXY_PASSWORD);
    tenantProxy = await startConnectProxy("tenant-b", "right-password");
    t = await startTestGateway(
      "sqlite",
      { fbrProxy: proxy.url, maxAttempts: 2 },
      {},
      { logger: logs.logger },
    );
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await tenantProxy?.close();
  });

  it("posts invoices to FBR through the proxy, and webhooks do not go through it", async () => {
    const simulatorHost = new URL(t.simulator.url).host;
    let delivered: (body: string) => void = () => {};
    const delivery = new Promise<string>((resolve) => {
      delivered = resolve;
    });
    const receiver: Server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      request.on("end", () => {
        response.writeHead(200).end();
        delivered(body);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      expect((await t.call("POST", "/v1/webhooks", { body: { url: receiverUrl } })).status).toBe(201);

      const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
      const done = await t.waitFor(t.keyA, posted.body.id, ["accepted"]);
      expect(done.fbrInvoiceNumber).toBeTruthy();
      // The webhook for this invoice arrives straight from the gateway, not through the proxy.
      expect(await delivery).toContain(posted.body.id);
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(new Set(proxy.tunnels)).toEqual(new Set([simulatorHost]));
    expect(proxy.refused).toBe(0);
    expect(proxy.plainRequests).toBe(0);
  });

  it("gives a tenant its own proxy; a proxy that refuses means not sent (retried), never in doubt", async () => {
    // Wrong credentials: the tenant's proxy answers 407 to CONNECT, so nothing reached FBR.
    const wrong = tenantProxy.url.replace("right-password", "wrong-password");
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_B.ntn, { proxy: wrong });
    const globalTunnels = proxy.tunnels.length;
    const posted = await t.call("POST", "/v1/invoices", { key: t.keyB, body: sampleInvoice(SELLER_B) });
    await t.waitFor(t.keyB, posted.body.id, ["failed"]);
    const refused = await attemptsOf(t, posted.body.id, t.keyB);
    expect(refused.map((attempt) => attempt.outcome)).toEqual(["not_sent", "not_sent"]);
    expect(refused[0].reason).toMatch(/407/);
    expect(tenantProxy.refused).toBe(2);
    expect(proxy.tunnels.length, "the global proxy saw none of tenant B's calls").toBe(globalTunnels);

    // The right credentials: the same tenant's next invoice goes through its own proxy.
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_B.ntn, { proxy: tenantProxy.url });
    const next = await t.call("POST", "/v1/invoices", { key: t.keyB, body: sampleInvoice(SELLER_B) });
    await t.waitFor(t.keyB, next.body.id, ["accepted"]);
    expect(tenantProxy.tunnels.length).toBe(3);
    expect(proxy.tunnels.length).toBe(globalTunnels);

    // "direct" turns the global proxy off for this tenant.
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_B.ntn, { proxy: "direct" });
    const direct = await t.call("POST", "/v1/invoices", { key: t.keyB, body: sampleInvoice(SELLER_B) });
    await t.waitFor(t.keyB, direct.body.id, ["accepted"]);
    expect(tenantProxy.tunnels.length).toBe(3);
    expect(proxy.tunnels.length).toBe(globalTunnels);
  });

  it("never logs or stores a proxy password", async () => {
    const everything = `${logs.text()}\n${await storedText(t)}`;
    expect(logs.text()).toContain("Raseed gateway listening");
    expect(everything).not.toContain(PROXY_PASSWORD);
    expect(everything).not.toContain("right-password");
    expect(everything).not.toContain("wrong-password");
  });

  it("leaves hosts in NO_PROXY out of the proxy", async () => {
    const tenant = await findTenant(t.gateway.store.db, SELLER_A.ntn);
    if (tenant === undefined) throw new Error("tenant missing");
    const before = proxy.tunnels.length;
    for (const [noProxy, tunnels] of [
      ["127.0.0.1", 0],
      [".example.com", 1],
    ] as const) {
      const connections = new FbrConnections({
        masterKey: t.masterKey,
        fbrUrl: t.simulator.url,
        proxy: proxy.url,
        noProxy,
      });
      try {
        const client = new DiClient({
          ...connections.forTenant(tenant),
          environment: "sandbox",
          maxRetries: 0,
        });
        const outcome = await client.validateInvoice(
          sampleInvoice() as unknown as Parameters<DiClient["validateInvoice"]>[0],
        );
        expect(outcome.kind).toBe("accepted");
        expect(proxy.tunnels.length - before, `NO_PROXY=${noProxy}`).toBe(tunnels);
      } finally {
        await connections.close();
      }
    }
  });
});

describe("mutual TLS and OAuth2 to a licensed integrator's relay", () => {
  let t: TestGateway;
  let relay: Relay;
  let oauthRelay: Relay;
  const oauthOptions: RelayOptions = {
    upstream: "",
    upstreamToken: SELLER_A.token,
    oauth2: { clientId: "erp-7000007", clientSecret: CLIENT_SECRET, expiresIn: 3_600 },
  };
  const logs = captureLogs();
  const clientCertificate = { certPem: tlsFixture("client.pem"), keyPem: tlsFixture("client.key") };

  beforeAll(async () => {
    t = await startTestGateway("sqlite", { maxAttempts: 2 }, {}, { logger: logs.logger });
    relay = await startRelay({ upstream: t.simulator.url, upstreamToken: SELLER_A.token, mutualTls: true });
    oauthRelay = await startRelay({ ...oauthOptions, upstream: t.simulator.url });
  });

  afterAll(async () => {
    await t?.close();
    await relay?.close();
    await oauthRelay?.close();
  });

  it("checks a certificate and key before storing them, with the field named", () => {
    expect(() =>
      checkTenantTransport({
        clientCertificate: { ...clientCertificate, keyPem: tlsFixture("stranger.key") },
      }),
    ).toThrow("clientCertificate.keyPem does not belong to clientCertificate.certPem");
    expect(() =>
      checkTenantTransport({
        clientCertificate: { certPem: clientCertificate.certPem, keyPem: tlsFixture("client-encrypted.key") },
      }),
    ).toThrow(/clientCertificate.keyPem cannot be read/);
    expect(
      checkTenantTransport({
        clientCertificate: {
          certPem: clientCertificate.certPem,
          keyPem: tlsFixture("client-encrypted.key"),
          passphrase: "fixture-passphrase",
        },
      }).clientCertificate?.passphrase,
    ).toBe("fixture-passphrase");
    expect(() => checkTenantTransport({ caPem: "not a certificate" })).toThrow(
      "caPem is not a PEM certificate",
    );
    expect(() => checkTenantTransport({ clientCertificate, relay: "x" })).toThrow(
      /unknown transport setting/,
    );
    expect(() => checkTenantTransport({ clientCertificate }, new Date("2127-01-01T00:00:00Z"))).toThrow(
      /expired/,
    );
  });

  it("posts through a relay that requires a client certificate, stored encrypted", async () => {
    const set = await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
      fbrUrl: relay.url,
      clientCertificate,
      caPem: tlsFixture("ca.pem"),
    });
    expect(set.transport?.clientCertificate?.subject).toContain("CN=raseed-tenant-7000007");
    const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    const done = await t.waitFor(t.keyA, posted.body.id, ["accepted"]);
    expect(done.fbrInvoiceNumber).toBeTruthy();
    expect(relay.seen.at(-1)).toEqual({
      path: "/di_data/v1/di/postinvoicedata_sb",
      authorization: `Bearer ${SELLER_A.token}`,
      clientCertificate: "raseed-tenant-7000007",
    });
    const attempts = await attemptsOf(t, posted.body.id);
    expect(attempts.at(-1).url).toBe(`${relay.url}/di_data/v1/di/postinvoicedata_sb`);
    // At rest: one ciphertext, no PEM, no key material.
    const row = await findTenant(t.gateway.store.db, SELLER_A.ntn);
    expect(row?.transport_enc).toMatch(/^v1:/);
    const stored = await storedText(t);
    expect(stored).not.toContain("PRIVATE KEY");
    expect(stored).not.toContain(clientCertificate.keyPem.split("\n")[1]);
  });

  it("a certificate the relay does not trust is refused in the handshake: not sent, retried", async () => {
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
      fbrUrl: relay.url,
      clientCertificate: { certPem: tlsFixture("stranger.pem"), keyPem: tlsFixture("stranger.key") },
      caPem: tlsFixture("ca.pem"),
    });
    const seen = relay.seen.length;
    const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    await t.waitFor(t.keyA, posted.body.id, ["failed", "in_doubt"]);
    const attempts = await attemptsOf(t, posted.body.id);
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(["not_sent", "not_sent"]);
    expect(relay.seen.length, "the relay's application never saw the post").toBe(seen);

    // Why TLS 1.2 is the default with a client certificate: under TLS 1.3 the relay refuses the certificate
    // only after the post was written, so the gateway cannot tell it from a lost answer.
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
      fbrUrl: relay.url,
      clientCertificate: { certPem: tlsFixture("stranger.pem"), keyPem: tlsFixture("stranger.key") },
      caPem: tlsFixture("ca.pem"),
      maxTlsVersion: "TLSv1.3",
    });
    const tls13 = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    await t.waitFor(t.keyA, tls13.body.id, ["in_doubt"]);
    expect(relay.seen.length).toBe(seen);
  });

  it("a relay whose certificate is not signed by the tenant's CA is not trusted: not sent", async () => {
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
      fbrUrl: relay.url,
      clientCertificate,
      caPem: tlsFixture("other-ca.pem"),
    });
    const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    await t.waitFor(t.keyA, posted.body.id, ["failed"]);
    const attempts = await attemptsOf(t, posted.body.id);
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(["not_sent", "not_sent"]);
  });

  it("sends the relay's OAuth2 token instead of the static one, cached, and refreshed when it expires", async () => {
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
      fbrUrl: oauthRelay.url,
      oauth2: {
        tokenUrl: `${oauthRelay.url}/oauth2/token`,
        clientId: "erp-7000007",
        clientSecret: CLIENT_SECRET,
      },
    });
    for (let n = 0; n < 2; n += 1) {
      const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
      await t.waitFor(t.keyA, posted.body.id, ["accepted"]);
    }
    // One token for both posts (it lives an hour), and the buyer look-up uses it too.
    expect((await t.call("GET", "/v1/buyers/2046004")).status).toBe(200);
    expect(oauthRelay.issuedTokens).toEqual(["relay-token-1"]);
    expect(oauthRelay.seen.map((call) => call.authorization)).toEqual(
      oauthRelay.seen.map(() => "Bearer relay-token-1"),
    );
    expect(oauthRelay.seen.map((call) => call.path)).toEqual(
      expect.arrayContaining(["/di_data/v1/di/postinvoicedata_sb", "/dist/v1/statl"]),
    );
    expect(oauthRelay.tokenRequests[0]).toEqual({
      authorization: `Basic ${Buffer.from(`erp-7000007:${CLIENT_SECRET}`).toString("base64")}`,
      body: "grant_type=client_credentials",
    });

    // A token that lives less than the refresh margin (60 s) is used once: every post asks for a new one.
    if (oauthOptions.oauth2 !== undefined) oauthOptions.oauth2.expiresIn = 30;
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
      fbrUrl: oauthRelay.url,
      oauth2: {
        tokenUrl: `${oauthRelay.url}/oauth2/token`,
        clientId: "erp-7000007",
        clientSecret: CLIENT_SECRET,
      },
    });
    const before = oauthRelay.seen.length;
    for (let n = 0; n < 2; n += 1) {
      const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
      await t.waitFor(t.keyA, posted.body.id, ["accepted"]);
    }
    expect(oauthRelay.seen.slice(before).map((call) => call.authorization)).toEqual([
      "Bearer relay-token-2",
      "Bearer relay-token-3",
    ]);
  });

  it("a token endpoint that refuses the client means not sent, and the secret is never logged or stored", async () => {
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
      fbrUrl: oauthRelay.url,
      oauth2: { tokenUrl: `${oauthRelay.url}/oauth2/token`, clientId: "erp-7000007", clientSecret: "wrong" },
    });
    const seen = oauthRelay.seen.length;
    const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    await t.waitFor(t.keyA, posted.body.id, ["failed"]);
    const attempts = await attemptsOf(t, posted.body.id);
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(["not_sent", "not_sent"]);
    expect(attempts[0].reason).toBe("no token to send: token endpoint answered HTTP 401");
    expect(oauthRelay.seen.length).toBe(seen);

    const everything = `${logs.text()}\n${await storedText(t)}`;
    expect(everything).not.toContain(CLIENT_SECRET);
    expect(everything).not.toContain("relay-token-");
    expect(everything).not.toContain(clientCertificate.keyPem.split("\n")[1]);
  });

  it("the validate endpoint's remote check goes the same way", async () => {
    await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
      fbrUrl: relay.url,
      clientCertificate,
      caPem: tlsFixture("ca.pem"),
    });
    const seen = relay.seen.length;
    const checked = await t.call("POST", "/v1/invoices/validate?remote=true", {
      body: sampleInvoice(),
    });
    expect(checked.status).toBe(200);
    expect(relay.seen.slice(seen).map((call) => call.path)).toEqual([
      "/di_data/v1/di/validateinvoicedata_sb",
    ]);
  });
});
