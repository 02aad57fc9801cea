// Tenant boundaries and abuse: webhook URLs cannot reach the gateway's own network, /metrics needs its
// own scope, failed authentications are rate limited per client IP, and an internal error answers the
// envelope without a stack trace.
import { describe, expect, it } from "vitest";
import { createApiKey } from "../src/tenants/tenants.ts";
import { assertWebhookUrlAllowed, isNonPublicAddress } from "../src/webhooks/url-guard.ts";
import { startTestGateway } from "./harness.ts";

describe("webhook URL guard", () => {
  it("refuses loopback, link-local, private and unspecified hosts, and plain http, over the API", async () => {
    const t = await startTestGateway("sqlite", { webhookAllowPrivateNetworks: false });
    try {
      for (const url of [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1:8080/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "http://example.com/hook",
      ]) {
        const refused = await t.call("POST", "/v1/webhooks", { body: { url } });
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.code, url).toBe("webhook_url_refused");
      }
      expect((await t.call("GET", "/v1/webhooks")).body.items).toHaveLength(0);
    } finally {
      await t.close();
    }
  });

  it("resolves host names: public addresses pass, a name pointing inside is refused; the flag allows all", async () => {
    const publicHost = async () => ["93.184.216.34"];
    const sneaky = async () => ["93.184.216.34", "10.0.0.7"];
    const strict = { allowPrivateNetworks: false };
    await expect(
      assertWebhookUrlAllowed(new URL("https://erp.example/hook"), { ...strict, resolve: publicHost }),
    ).resolves.toBeUndefined();
    await expect(
      assertWebhookUrlAllowed(new URL("https://erp.example/hook"), { ...strict, resolve: sneaky }),
    ).rejects.toThrow(/private/);
    await expect(
      assertWebhookUrlAllowed(new URL("http://127.0.0.1:9/hook"), { allowPrivateNetworks: true }),
    ).resolves.toBeUndefined();
    expect(isNonPublicAddress("172.20.0.1")).toBe(true);
    expect(isNonPublicAddress("fe80::1")).toBe(true);
    expect(isNonPublicAddress("8.8.8.8")).toBe(false);
    expect(isNonPublicAddress("2001:4860:4860::8888")).toBe(false);
  });
});

describe("metrics, authentication limits and internal errors", () => {
  it("serves /metrics only to a metrics:read key; default keys lack it", async () => {
    const t = await startTestGateway("sqlite");
    try {
      const readOnly = (await createApiKey(t.gateway.store.db, t.tenantA, { scopes: ["invoices:read"] })).key;
      expect((await t.call("GET", "/metrics", { key: readOnly })).status).toBe(403);
      expect((await t.call("GET", "/metrics")).status).toBe(403);
      const monitoring = (await createApiKey(t.gateway.store.db, t.tenantA, { scopes: ["metrics:read"] }))
        .key;
      const served = await t.call("GET", "/metrics", { key: monitoring });
      expect(served.status).toBe(200);
      expect(served.text).toContain("raseed_invoices");
    } finally {
      await t.close();
    }
  });

  it("rate limits failed authentications per client IP, before any key is known", async () => {
    const t = await startTestGateway("sqlite", { authFailuresPerMinute: 3, rateLimitPerMinute: 1000 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        statuses.push((await t.call("GET", "/v1/invoices", { key: `rsd_guess_${i}` })).status);
      }
      expect(statuses).toEqual([401, 401, 401]);
      const limited = await t.call("GET", "/v1/invoices", { key: "rsd_guess_again" });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe("rate_limited");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      // The address is blocked even with a good key until the window passes; health checks stay open.
      expect((await t.call("GET", "/v1/invoices")).status).toBe(429);
      expect((await t.call("GET", "/healthz", { key: "" })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it("answers an internal error with the envelope: internal_error, a message, the request id, no stack", async () => {
    const t = await startTestGateway("sqlite");
    try {
      // A store that breaks under a route (the webhooks table is gone) is an unexpected server fault.
      await t.gateway.store.db.schema.dropTable("webhook_deliveries").execute();
      await t.gateway.store.db.schema.dropTable("webhooks").execute();
      const failed = await t.call("GET", "/v1/webhooks");
      expect(failed.status).toBe(500);
      expect(Object.keys(failed.body.error).sort()).toEqual(["code", "message", "requestId"]);
      expect(failed.body.error.code).toBe("internal_error");
      expect(failed.body.error.requestId).toMatch(/^req_/);
      expect(failed.text).not.toMatch(/stack|at .*\.ts:|no such table|SqliteError/i);
    } finally {
      await t.close();
    }
  });
});
