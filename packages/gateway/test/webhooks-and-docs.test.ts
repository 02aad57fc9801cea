// Webhooks (signed, retried, logged), metrics, OpenAPI and rate limits, over real HTTP.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/tenants/tenants.ts";
import { verifyWebhookSignature } from "../src/webhooks/webhooks.ts";
import { sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

interface Receiver {
  server: Server;
  url: string;
  received: Received[];
  /** Resolves once what was received satisfies `done` (checked on each delivery, not on a clock). */
  until(done: (received: Received[]) => boolean): Promise<void>;
}

async function startReceiver(failFirst: number): Promise<Receiver> {
  const received: Received[] = [];
  const waiters = new Set<{ done: (received: Received[]) => boolean; resolve: () => void }>();
  let failures = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      if (failures < failFirst) {
        failures += 1;
        res.writeHead(500).end("not yet");
        return;
      }
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
      for (const waiter of waiters) {
        if (!waiter.done(received)) continue;
        waiters.delete(waiter);
        waiter.resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const until = (done: (received: Received[]) => boolean): Promise<void> =>
    done(received) ? Promise.resolve() : new Promise((resolve) => waiters.add({ done, resolve }));
  return { server, url: `http://127.0.0.1:${port}/hook`, received, until };
}

describe.each(engines)("webhooks on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(engine, { webhookRetryBaseMs: 50, rateLimitPerMinute: 1000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("delivers signed state changes, retrying a failing receiver, with a delivery log", async () => {
    const receiver = await startReceiver(1);
    try {
      const created = await t.call("POST", "/v1/webhooks", { body: { url: receiver.url } });
      expect(created.status).toBe(201);
      expect(created.body.secret).toMatch(/^whsec_/);
      const listed = await t.call("GET", "/v1/webhooks");
      expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

      // Deliveries the gateway has recorded as delivered (its event, after the row is written).
      const recorded = new Set<string>();
      let onRecorded = (): void => {};
      const listener = ({ deliveryId }: { deliveryId: string }) => {
        recorded.add(deliveryId);
        onRecorded();
      };
      t.gateway.events.on("webhook.delivered", listener);
      const posted = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
      expect(posted.body.state).toBe("accepted");
      // Waits on deliveries, not the clock (the test's own timeout bounds it).
      await receiver.until((received) => {
        const states = received
          .map((r) => JSON.parse(r.body))
          .filter((e) => e.invoiceId === posted.body.id)
          .map((e) => e.state);
        return states.includes("accepted") && states.includes("queued");
      });
      // ...and the gateway has recorded each of them as delivered.
      const receivedIds = receiver.received.map((r) => r.headers["raseed-delivery"] as string);
      await new Promise<void>((resolve) => {
        onRecorded = () => {
          if (receivedIds.every((id) => recorded.has(id))) resolve();
        };
        onRecorded();
      });
      t.gateway.events.off("webhook.delivered", listener);
      const events = receiver.received.map((r) => JSON.parse(r.body));
      // A retried delivery may arrive after a later one: receivers order by `sequence`.
      const ours = events
        .filter((e) => e.invoiceId === posted.body.id)
        .sort((a, b) => a.sequence - b.sequence);
      expect(ours.map((e) => e.state)).toEqual(["queued", "accepted"]);
      expect(ours[1]).toMatchObject({ type: "invoice.state_changed", previousState: "submitting" });
      expect(ours[1].fbrInvoiceNumber).toBe(posted.body.fbrInvoiceNumber);
      for (const delivery of receiver.received) {
        const signature = delivery.headers["raseed-signature"] as string;
        expect(verifyWebhookSignature(created.body.secret, signature, delivery.body)).toBe(true);
        expect(verifyWebhookSignature("whsec_wrong", signature, delivery.body)).toBe(false);
        expect(verifyWebhookSignature(created.body.secret, signature, `${delivery.body} `)).toBe(false);
      }
      const log = await t.call("GET", `/v1/webhooks/${created.body.id}/deliveries`);
      const items = log.body.items as { state: string; attempts: number; lastStatus: number | null }[];
      expect(items.every((d) => d.state === "delivered")).toBe(true);
      expect(items.some((d) => d.attempts === 2)).toBe(true);

      const other = await t.call("GET", `/v1/webhooks/${created.body.id}/deliveries`, { key: t.keyB });
      expect(other.status).toBe(404);
      expect((await t.call("DELETE", `/v1/webhooks/${created.body.id}`)).status).toBe(204);
    } finally {
      receiver.server.close();
    }
  });

  it("exposes Prometheus metrics and an OpenAPI document built from the validating schemas", async () => {
    // /metrics shows every tenant: a tenant's default key is refused, a metrics:read key is served.
    expect((await t.call("GET", "/metrics")).status).toBe(403);
    const monitoring = (await createApiKey(t.gateway.store.db, t.tenantA, { scopes: ["metrics:read"] })).key;
    const metrics = await t.call("GET", "/metrics", { key: monitoring });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('raseed_invoices{state="accepted"}');
    expect(metrics.text).toContain("raseed_fbr_call_duration_seconds_bucket");
    expect(metrics.text).toContain('raseed_submissions_total{result="queued"}');
    expect(metrics.text).toContain("raseed_oldest_unreported_invoice_age_seconds");
    expect((await t.call("GET", "/metrics", { key: "" })).status).toBe(401);

    const openapi = await t.call("GET", "/openapi.json", { key: "" });
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toBe("3.1.0");
    const submit = openapi.body.paths["/v1/invoices"].post;
    expect(JSON.stringify(submit.requestBody)).toContain("sellerNTNCNIC");
    expect(openapi.body.paths["/v1/invoices/{id}/reconcile"]).toBeDefined();
    const docs = await fetch(`${t.url}/docs`, { redirect: "follow" });
    expect(docs.status).toBe(200);
  });
});

describe("per-key rate limits", () => {
  it("answers 429 in the error envelope once a key exceeds its limit, other keys unaffected", async () => {
    const t = await startTestGateway("sqlite", { rateLimitPerMinute: 5 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i += 1) statuses.push((await t.call("GET", "/v1/invoices")).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const limited = await t.call("GET", "/v1/invoices");
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe("rate_limited");
      expect((await t.call("GET", "/v1/invoices", { key: t.keyB })).status).toBe(200);
      expect((await t.call("GET", "/healthz", { key: "" })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
