// The OpenAPI document is honest: it validates against the OpenAPI 3.1 schema, every operation lists its
// answers with their bodies, security and scope, real answers match the bodies it describes, and the
// response observer (which the harness uses to fail any test that sees an undocumented status) really
// tells a documented status from an undocumented one.
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { describeRoute, installResponseObserver, type ObservedResponse } from "../src/http/openapi.ts";
import { type Loose, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";

type Operation = {
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
  security?: Record<string, string[]>[];
  "x-raseed-scope"?: string;
  parameters?: { in: string; name: string }[];
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe("the OpenAPI document", () => {
  let t: TestGateway;
  let document: Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat("int32", true).addFormat("int64", true).addFormat("double", true);

  /** Checks a real answer against the body the document describes for that operation and status. */
  function expectDescribed(method: string, path: string, status: number, body: unknown): void {
    const response = document.paths[path]?.[method]?.responses[String(status)];
    expect(response, `${method} ${path} ${status} is documented`).toBeDefined();
    const schema = response?.content?.["application/json"]?.schema;
    expect(schema, `${method} ${path} ${status} has a JSON body`).toBeDefined();
    const validate = ajv.compile(schema as object);
    expect(validate(body) ? [] : validate.errors, `${method} ${path} ${status}`).toEqual([]);
  }

  beforeAll(async () => {
    t = await startTestGateway("sqlite");
    const answer = await t.call("GET", "/openapi.json", { key: "" });
    expect(answer.status).toBe(200);
    document = answer.body as Document;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("is a valid OpenAPI 3.1 document whose references all resolve", async () => {
    expect(document.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // Throws on a $ref that points nowhere.
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it("lists a success answer, the shared errors and the scope for every operation", () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.length).toBeGreaterThan(25);
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      const statuses = Object.keys(op.responses);
      expect(
        statuses.some((s) => s.startsWith("2")),
        where,
      ).toBe(true);
      expect(statuses, where).toContain("500");
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${where} ${status}`).not.toBe("Default Response");
        if (!status.startsWith("2")) {
          const schema = response.content?.["application/json"]?.schema as Loose;
          expect(
            schema?.properties?.error?.properties?.code?.enum?.length,
            `${where} ${status}`,
          ).toBeGreaterThan(0);
        }
      }
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        expect(
          op.parameters?.some((p) => p.in === "path" && `{${p.name}}` === name),
          `${where} ${name}`,
        ).toBe(true);
      }
      if (op.security?.length === 0) continue; // public: health checks
      const scope = op["x-raseed-scope"];
      expect(scope, where).toMatch(/^[a-z]+:[a-z]+$/);
      expect(op.security, where).toEqual([{ apiKey: [scope] }]);
      expect(statuses, where).toEqual(expect.arrayContaining(["401", "403", "429"]));
    }
    expect(document.paths["/healthz"]?.get?.security).toEqual([]);
    const submit = document.paths["/v1/invoices"]?.post;
    expect(Object.keys(submit?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "202", "400", "409", "413", "415", "422"]),
    );
    const conflict = submit?.responses["409"]?.content?.["application/json"]?.schema as Loose;
    expect(conflict.properties.error.properties.code.enum).toEqual(["idempotency_conflict"]);
    expect(
      Object.keys(document.paths["/v1/invoices/{id}/pdf"]?.get?.responses["200"]?.content ?? {}),
    ).toEqual(["application/pdf"]);
  });

  it("describes the bodies the gateway really answers with", async () => {
    const invoice = sampleInvoice();
    const created = await t.call("POST", "/v1/invoices", { body: { externalRef: "doc-1", invoice } });
    expect(created.status).toBe(202);
    expectDescribed("post", "/v1/invoices", 202, created.body);
    const accepted = await t.waitFor(t.keyA, created.body.id, ["accepted"]);
    expectDescribed("get", "/v1/invoices/{id}", 200, accepted);
    const replay = await t.call("POST", "/v1/invoices", { body: { externalRef: "doc-1", invoice } });
    expect(replay.status).toBe(200);
    expectDescribed("post", "/v1/invoices", 200, replay.body);
    const conflict = await t.call("POST", "/v1/invoices", {
      body: { externalRef: "doc-1", invoice: sampleInvoice() },
    });
    expect(conflict.status).toBe(409);
    expectDescribed("post", "/v1/invoices", 409, conflict.body);
    const invalid = await t.call("POST", "/v1/invoices", {
      body: { invoice: { ...sampleInvoice(), items: [] } },
    });
    expect(invalid.status).toBe(422);
    expectDescribed("post", "/v1/invoices", 422, invalid.body);

    const reads: [string, string, string][] = [
      ["get", "/v1/invoices", "/v1/invoices"],
      ["get", "/v1/invoices/{id}/attempts", `/v1/invoices/${created.body.id}/attempts`],
      ["get", "/v1/invoices/{id}/fbr.json", `/v1/invoices/${created.body.id}/fbr.json`],
      ["get", "/v1/tenant", "/v1/tenant"],
      ["get", "/v1/reference/{name}", "/v1/reference/provinces"],
      ["get", "/v1/certification/runs", "/v1/certification/runs"],
      ["get", "/v1/certification/status", "/v1/certification/status"],
      ["get", "/v1/webhooks", "/v1/webhooks"],
      ["get", "/healthz", "/healthz"],
      ["get", "/readyz", "/readyz"],
    ];
    for (const [method, pattern, path] of reads) {
      const answer = await t.call(method.toUpperCase(), path);
      expect(answer.status, path).toBe(200);
      expectDescribed(method, pattern, 200, answer.body);
    }
    const validated = await t.call("POST", "/v1/invoices/validate", { body: sampleInvoice() });
    expectDescribed("post", "/v1/invoices/validate", 200, validated.body);
    const missing = await t.call("GET", "/v1/invoices/inv_nope");
    expect(missing.status).toBe(404);
    expectDescribed("get", "/v1/invoices/{id}", 404, missing.body);
    const anonymous = await t.call("GET", "/v1/invoices", { key: "" });
    expectDescribed("get", "/v1/invoices", 401, anonymous.body);
  });
});

describe("the response observer", () => {
  it("reports a status the route does not document as undocumented", async () => {
    const seen: ObservedResponse[] = [];
    const app = Fastify();
    installResponseObserver(app, (response) => seen.push(response));
    const schema = describeRoute("A teapot", {
      tags: ["test"],
      public: true,
      responses: { 200: { description: "Tea", json: z.object({ tea: z.boolean() }) } },
    });
    app.get<{ Querystring: { brew?: string } }>("/tea", { schema }, async (request, reply) =>
      request.query.brew === "no" ? reply.status(418).send({ tea: false }) : { tea: true },
    );
    app.get("/page", async () => "not an API route");
    try {
      expect((await app.inject("/tea")).statusCode).toBe(200);
      expect((await app.inject("/tea?brew=no")).statusCode).toBe(418);
      expect((await app.inject("/page")).statusCode).toBe(200);
      expect(seen).toEqual([
        { method: "GET", route: "/tea", status: 200, documented: true },
        { method: "GET", route: "/tea", status: 418, documented: false },
      ]);
    } finally {
      await app.close();
    }
  });
});
