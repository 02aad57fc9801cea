import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/main.ts";

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
