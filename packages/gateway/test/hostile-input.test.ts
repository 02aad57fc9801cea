// Hostile input found by attacking a running gateway (issue 13, "Hardening"): bodies nested thousands of
// levels deep, reference names that are Object.prototype members, and a read-only key spending the
// seller's FBR token through validate?remote=true.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/tenants/tenants.ts";
import { type Loose, SELLER_A, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { imsSale, newUsin } from "./ims-fixtures.ts";

describe("hostile input", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway("sqlite");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers 400 json_too_deep, not 500, for a 6 KB body nested 3,000 levels on every JSON route", async () => {
    const arrays = `${"[".repeat(3000)}${"]".repeat(3000)}`;
    const objects = `${'{"a":'.repeat(1200)}1${"}".repeat(1200)}`;
    for (const path of ["/v1/invoices", "/v1/invoices/validate", "/v1/ims/invoices", "/v1/webhooks"]) {
      for (const raw of [arrays, `{"items":${arrays}}`, objects]) {
        const answer = await t.call("POST", path, { raw });
        expect(answer.status, path).toBe(400);
        expect(answer.body.error.code, path).toBe("json_too_deep");
      }
    }
    // Ordinary bodies still pass the bound on the same routes.
    expect((await t.call("POST", "/v1/invoices/validate", { body: sampleInvoice() })).status).toBe(200);
    expect((await t.call("POST", "/v1/invoices", { body: sampleInvoice() })).status).toBe(202);
    expect((await t.call("POST", "/v1/ims/invoices", { body: imsSale(newUsin()) })).status).not.toBe(500);
  });

  it("keeps refusing __proto__ keys (Fastify's own parser stays behind the bound)", async () => {
    const answer = await t.call("POST", "/v1/invoices/validate", { raw: '{"__proto__":{"polluted":1}}' });
    expect(answer.status).toBe(400);
    expect(({} as Loose).polluted).toBeUndefined();
  });

  it("answers 404 for reference names that are Object.prototype members, live or not", async () => {
    for (const name of [
      "__proto__",
      "valueOf",
      "hasOwnProperty",
      "constructor",
      "toString",
      "isPrototypeOf",
    ]) {
      for (const query of ["", "?live=true"]) {
        const answer = await t.call("GET", `/v1/reference/${name}${query}`);
        expect(answer.status, `${name}${query}`).toBe(404);
        expect(answer.body.error.code, `${name}${query}`).toBe("not_found");
      }
    }
    expect((await t.call("GET", "/v1/reference/uoms")).status).toBe(200);
  });

  it("requires invoices:write for validate?remote=true (it spends the seller's FBR token)", async () => {
    const readOnly = (await createApiKey(t.gateway.store.db, t.tenantA, { scopes: ["invoices:read"] })).key;
    const before = t.faults.maxInFlightBySeller.get(SELLER_A.ntn);
    const refused = await t.call("POST", "/v1/invoices/validate?remote=true", {
      key: readOnly,
      body: sampleInvoice(),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");
    expect(refused.body.error.message).toContain("invoices:write");
    expect(t.faults.maxInFlightBySeller.get(SELLER_A.ntn)).toBe(before);
    // Local validation stays open to a read-only key.
    const local = await t.call("POST", "/v1/invoices/validate", { key: readOnly, body: sampleInvoice() });
    expect(local.status).toBe(200);
    const remote = await t.call("POST", "/v1/invoices/validate?remote=true", { body: sampleInvoice() });
    expect(remote.status).toBe(200);
    expect(remote.body.remote).toBeDefined();
  });

  it("documents each route's scope in the OpenAPI document, from the same route config the auth hook enforces", async () => {
    const document = (await t.call("GET", "/openapi.json", { key: "" })).body;
    const operation = (path: string, method: string) => document.paths[path][method];
    expect(operation("/v1/invoices", "post")["x-raseed-scope"]).toBe("invoices:write");
    expect(operation("/v1/invoices/validate", "post")["x-raseed-scope"]).toBe("invoices:read");
    expect(operation("/v1/invoices/validate", "post").description).toContain("invoices:write");
    expect(operation("/v1/reference/{name}", "get")["x-raseed-scope"]).toBe("reference:read");
    expect(operation("/metrics", "get")["x-raseed-scope"]).toBe("metrics:read");
    expect(operation("/healthz", "get")["x-raseed-scope"]).toBeUndefined();
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Loose>>)) {
      for (const [method, op] of Object.entries(methods)) {
        if (op.security === undefined || op.security.length === 0) continue;
        expect(op["x-raseed-scope"], `${method} ${path}`).toMatch(/^[a-z]+:[a-z]+$/);
        expect(op.description, `${method} ${path}`).toContain(op["x-raseed-scope"]);
      }
    }
  });
});
