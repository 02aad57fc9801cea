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
  it("log method, URL and status of each request, never the Authorization header", async () => {
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
      } finally {
        await gateway.close();
      }
      const text = lines.join("");
      const entries = lines.map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);
      const incoming = entries.find((e) => e.req?.method === "GET");
      expect(incoming?.req?.url).toMatch(/^\/v1\/invoices\?token=/);
      expect(entries.some((e) => e.res?.statusCode === 401)).toBe(true);
      expect(text).not.toContain("rsd_not_a_real_key_0123456789");
      expect(text).not.toContain("query-secret-1");
      expect(text.toLowerCase()).not.toContain("bearer");
    } finally {
      dir.remove();
    }
  });
});
