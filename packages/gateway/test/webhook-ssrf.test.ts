// Webhook deliveries connect to the address the URL guard checked: the host is resolved once per delivery
// and that answer is pinned for the connection, so a rebinding DNS server cannot answer "public" to the
// check and "127.0.0.1" to the connect (issue 13). The guard judges addresses by ipaddr.js's range names.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GatewayEvents } from "../src/events.ts";
import { submitInvoice } from "../src/invoices/invoice-service.ts";
import type { Store } from "../src/store/database.ts";
import { GroupCommitter } from "../src/store/group-commit.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { isNonPublicAddress, vetWebhookUrl } from "../src/webhooks/url-guard.ts";
import {
  createWebhook,
  signWebhook,
  verifyWebhookSignature,
  WebhookDispatcher,
} from "../src/webhooks/webhooks.ts";
import { SELLER_A, sampleInvoice } from "./harness.ts";
import { engines, openTestStore } from "./helpers.ts";

describe("webhook address guard (ipaddr.js range names)", () => {
  it("refuses IPv6 forms that reach loopback or private space, and deprecated or tunnelled ranges", () => {
    for (const address of [
      "::127.0.0.1", // IPv4-compatible loopback
      "::ffff:127.0.0.1", // IPv4-mapped loopback
      "::ffff:0:7f00:1", // IPv4-translated (rfc6145)
      "64:ff9b::7f00:1", // NAT64
      "fec0::1", // site-local (deprecated)
      "2002:7f00:1::1", // 6to4
      "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
      "::",
      "::1",
      "fe80::1",
      "fc00::1",
      "ff02::1",
      "2001:db8::1", // documentation
      "4000::1", // outside 2000::/3: not allocated as global unicast
      "0.0.0.0",
      "10.1.2.3",
      "100.64.0.1",
      "127.0.0.1",
      "169.254.169.254",
      "172.20.0.1",
      "192.168.1.1",
      "192.0.2.1",
      "224.0.0.1",
      "255.255.255.255",
      "not-an-address",
    ]) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
    for (const address of ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888", "::ffff:8.8.8.8"]) {
      expect(isNonPublicAddress(address), address).toBe(false);
    }
  });

  it("refuses bracketed IPv6 literals in URLs and pins what a name resolved to", async () => {
    const strict = { allowPrivateNetworks: false };
    for (const url of ["https://[::127.0.0.1]/", "https://[::ffff:0:7f00:1]/", "https://[fec0::1]/"]) {
      await expect(vetWebhookUrl(new URL(url), strict), url).rejects.toThrow(/private/);
    }
    const vetted = await vetWebhookUrl(new URL("https://erp.example/hook"), {
      ...strict,
      resolve: async () => ["93.184.216.34", "2001:4860:4860::8888"],
    });
    expect(vetted.addresses).toEqual(["93.184.216.34", "2001:4860:4860::8888"]);
    const answers: unknown[] = [];
    vetted.lookup("erp.example", { all: true }, (_error, address) => answers.push(address));
    vetted.lookup("erp.example", { family: 6 }, (_error, address, family) => answers.push([address, family]));
    expect(answers).toEqual([
      [
        { address: "93.184.216.34", family: 4 },
        { address: "2001:4860:4860::8888", family: 6 },
      ],
      ["2001:4860:4860::8888", 6],
    ]);
  });
});

describe("webhook signatures", () => {
  it("verify in constant time and refuse malformed, stale or forged headers", () => {
    const now = 1_800_000_000_000;
    const t = now / 1000;
    const header = signWebhook("whsec_a", t, "{}");
    expect(verifyWebhookSignature("whsec_a", header, "{}", 300, now)).toBe(true);
    expect(verifyWebhookSignature("whsec_b", header, "{}", 300, now)).toBe(false);
    expect(verifyWebhookSignature("whsec_a", header, "{}", 300, now + 301_000)).toBe(false);
    expect(verifyWebhookSignature("whsec_a", `t=${t},v1=abc`, "{}", 300, now)).toBe(false);
    expect(verifyWebhookSignature("whsec_a", `t=${t}`, "{}", 300, now)).toBe(false);
    expect(verifyWebhookSignature("whsec_a", `${header}0`, "{}", 300, now)).toBe(false);
  });
});

describe.each(engines)("webhook deliveries connect to the vetted address on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await openTestStore(engine));
  });
  afterEach(async () => {
    await cleanup();
  });

  async function tenantWithHook(url: string) {
    const { db } = store;
    const masterKey = randomBytes(32);
    const { id: tenantId } = await addTenant(db, masterKey, {
      ...SELLER_A,
      environment: "sandbox",
      fbrToken: SELLER_A.token,
    });
    await createWebhook(db, masterKey, tenantId, url, "test", { allowPrivateNetworks: true });
    const tenant = await db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", tenantId)
      .executeTakeFirstOrThrow();
    await submitInvoice(
      db,
      new GroupCommitter(db),
      tenant,
      { invoice: sampleInvoice() as never, externalRef: "ref-1", requestHash: "h-1" },
      "test",
    );
    return masterKey;
  }

  it("resolves the host once and connects to that answer, never asking DNS again", async () => {
    const received: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      received.push(request.headers);
      request.resume();
      request.on("end", () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      // `.invalid` never resolves (RFC 6761): only the pinned answer can reach the receiver.
      const masterKey = await tenantWithHook(`http://receiver.invalid:${port}/hook`);
      const asked: string[] = [];
      const dispatcher = new WebhookDispatcher(store.db, masterKey, new GatewayEvents(), {
        pollIntervalMs: 1_000,
        timeoutMs: 5_000,
        retryBaseMs: 60_000,
        allowPrivateNetworks: true,
        resolve: async (host) => {
          asked.push(host);
          return ["127.0.0.1"];
        },
      });
      await dispatcher.round();
      expect(asked).toEqual(["receiver.invalid"]);
      expect(received).toHaveLength(1);
      expect(received[0]?.host).toBe(`receiver.invalid:${port}`);
      const delivery = await store.db.selectFrom("webhook_deliveries").selectAll().executeTakeFirstOrThrow();
      expect(delivery.state).toBe("delivered");
    } finally {
      server.close();
    }
  });

  it("refuses a delivery whose host now resolves inside, and records why", async () => {
    const masterKey = await tenantWithHook("https://erp.example/hook");
    const dispatcher = new WebhookDispatcher(store.db, masterKey, new GatewayEvents(), {
      pollIntervalMs: 1_000,
      timeoutMs: 5_000,
      retryBaseMs: 60_000,
      allowPrivateNetworks: false,
      resolve: async () => ["::ffff:0:7f00:1"],
    });
    await dispatcher.round();
    const delivery = await store.db.selectFrom("webhook_deliveries").selectAll().executeTakeFirstOrThrow();
    expect(delivery.state).toBe("pending");
    expect(Number(delivery.attempts)).toBe(1);
    expect(delivery.last_error).toMatch(/private/);
  });
});
