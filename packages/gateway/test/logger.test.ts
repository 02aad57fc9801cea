import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { createLogger, startGateway } from "../src/main.ts";
import { tempDir } from "./helpers.ts";

describe("gateway logger", () => {
  it("masks secrets by the sdk's redaction list and keeps error stacks", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger(loadConfig({ env: {} }), sink);
    logger.info(
      { fbrToken: "sandbox-demo-token", tenant: { apiKey: "rsd_secret", ntn: "7000007" } },
      "tenant",
    );
    logger.error({ err: new Error("boom") }, "failed");
    const text = lines.join("");
    expect(text).not.toContain("sandbox-demo-token");
    expect(text).not.toContain("rsd_secret");
    expect(text).toContain("7000007");
    expect(text).toMatch(/"stack":"Error: boom/);
  });
});

describe("access logs", () => {
  it("log method, route pattern and status of each request; never the Authorization header, ids or query values", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const dir = tempDir();
    try {
      const config = loadConfig({ flags: { port: 0, dataDir: dir.path, logLevel: "info" }, env: {} });
      const gateway = await startGateway(config, { logger: createLogger(config, sink) });
      try {
        const response = await fetch(`${gateway.url}/v1/invoices?token=query-secret-1`, {
          headers: { authorization: "Bearer rsd_not_a_real_key_0123456789" },
        });
        expect(response.status).toBe(401);
        // A secret in an ordinary query parameter, in an id, or in a path that matches no route.
        await fetch(`${gateway.url}/v1/invoices?externalRef=ordinary-secret-2`);
        await fetch(`${gateway.url}/v1/invoices/id-secret-3`);
        await fetch(`${gateway.url}/no/such/path-secret-4`);
      } finally {
        await gateway.close();
      }
      const text = lines.join("");
      const entries = lines.map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);
      const incoming = entries.find((e) => e.req?.method === "GET");
      expect(incoming?.req?.url).toBe("/v1/invoices?[query redacted]");
      const urls = entries.map((e) => e.req?.url).filter((url) => url !== undefined);
      expect(urls).toContain("/v1/invoices/:id");
      expect(urls).toContain("(no matching route)");
      expect(entries.some((e) => e.res?.statusCode === 401)).toBe(true);
      expect(text).not.toContain("rsd_not_a_real_key_0123456789");
      for (const secret of ["query-secret-1", "ordinary-secret-2", "id-secret-3", "path-secret-4"]) {
        expect(text).not.toContain(secret);
      }
      expect(text.toLowerCase()).not.toContain("bearer");
    } finally {
      dir.remove();
    }
  });
});
