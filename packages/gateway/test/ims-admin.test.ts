// The IMS channel's admin side: the demo registers the simulator's POS terminal, `raseed tenant add-pos`
// and `list-pos` work on the store like the other admin commands, and the OpenAPI document describes it.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { startGateway } from "../src/main.ts";
import { tempDir } from "./helpers.ts";
import { DEMO_IMS_TOKEN, DEMO_POS, imsSale, newUsin } from "./ims-fixtures.ts";

const CLI = fileURLToPath(new URL("../../cli/bin/raseed.js", import.meta.url));

describe("IMS admin", () => {
  const dirs: { remove(): void }[] = [];
  afterAll(() => {
    for (const dir of dirs) dir.remove();
  });

  it("the demo answers an IMS sale for POS 110014 with the simulator's fiscal number; OpenAPI lists the routes", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const config = loadConfig({
      flags: { demo: true, port: 0, dataDir: dir.path, logLevel: "silent" },
      env: {},
    });
    const gateway = await startGateway(config, { logger: pino({ level: "silent" }) });
    try {
      const key = gateway.demo?.apiKey ?? "";
      const usin = newUsin();
      const response = await fetch(`${gateway.url}/v1/ims/invoices?wait=10`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(imsSale(usin)),
      });
      const body = (await response.json()) as { state: string; fbrInvoiceNumber: string; posId: number };
      expect(body).toMatchObject({ state: "accepted", posId: DEMO_POS });
      expect(body.fbrInvoiceNumber).toMatch(/^\d{20}$/);
      const openapi = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
      };
      expect(Object.keys(openapi.paths)).toEqual(
        expect.arrayContaining(["/v1/ims/invoices", "/v1/ims/invoices/{id}"]),
      );
      // The body schema comes from the sdk's zod imsInvoiceSchema (PascalCase fields).
      expect(JSON.stringify(openapi.paths["/v1/ims/invoices"]?.post?.requestBody)).toContain("PCTCode");
    } finally {
      await gateway.close();
    }
  });

  it("raseed tenant add-pos / list-pos: registers, re-tokens, never prints the token; bad input exits 2", {
    timeout: 120_000,
  }, () => {
    const dir = tempDir("raseed-cli-ims-");
    dirs.push(dir);
    const env = { ...process.env, RASEED_MASTER_KEY: "22".repeat(32) };
    const raseed = (...args: string[]) => {
      const result = spawnSync(process.execPath, [CLI, ...args, "--data-dir", dir.path], {
        encoding: "utf8",
        env,
        timeout: 60_000,
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const tenant = raseed(
      "tenant",
      "add",
      "--ntn",
      "7000007",
      "--name",
      "Demo Traders",
      "--province",
      "Sindh",
      "--address",
      "Karachi",
      "--fbr-token",
      "sandbox-demo-token",
    );
    expect(tenant.status).toBe(0);
    const added = raseed(
      "tenant",
      "add-pos",
      "--tenant",
      "7000007",
      "--pos-id",
      "110014",
      "--ims-token",
      DEMO_IMS_TOKEN,
    );
    expect(added.stderr).toBe("");
    expect(added.status).toBe(0);
    expect(added.stdout).toMatch(/POS 110014 \(sandbox\) registered/);
    expect(added.stdout).not.toContain(DEMO_IMS_TOKEN);
    const rotated = raseed(
      "tenant",
      "add-pos",
      "--tenant",
      "7000007",
      "--pos-id",
      "110014",
      "--ims-token",
      "new-token-1",
    );
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/token replaced .*0 held sale\(s\) resumed/);
    const listed = raseed("tenant", "list-pos", "--tenant", "7000007", "--json");
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ posId: 110014, environment: "sandbox" }]);
    expect(listed.stdout).not.toContain(DEMO_IMS_TOKEN);
    const bad = raseed("tenant", "add-pos", "--tenant", "7000007", "--pos-id", "12ab", "--ims-token", "t");
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--pos-id");
  });
});
