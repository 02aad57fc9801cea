// The demo (`npm start`): simulator built in, demo tenant 7000007, demo API key and demo operator sign-in
// printed and kept in the data folder, loopback only.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { startGateway } from "../src/main.ts";
import { sampleInvoice } from "./harness.ts";
import { tempDir } from "./helpers.ts";

/** Posts the sign-in form as a browser would (double-submit token from the form's cookie). */
async function signInStatus(url: string, email: string, password: string): Promise<number> {
  const form = await fetch(`${url}/login`);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
  const cookie = (form.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const response = await fetch(`${url}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({ _csrf: token, email, password }).toString(),
    redirect: "manual",
  });
  return response.status;
}

describe("demo mode", () => {
  it("starts with a working demo tenant and key, on loopback only, and keeps the key across restarts", {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir();
    const config = loadConfig({
      flags: { demo: true, port: 0, host: "0.0.0.0", dataDir: dir.path, logLevel: "silent" },
      env: {},
    });
    const logger = pino({ level: "silent" });
    let gateway = await startGateway(config, { logger });
    try {
      expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(gateway.simulator).toBeDefined();
      const keyFile = join(dir.path, "demo-api-key");
      const key = readFileSync(keyFile, "utf8").trim();
      expect(key).toBe(gateway.demo?.apiKey);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir.path, "master.key")).mode & 0o777).toBe(0o600);
      const loginFile = join(dir.path, "demo-login");
      expect(statSync(loginFile).mode & 0o777).toBe(0o600);
      const login = readFileSync(loginFile, "utf8");
      expect(login).toBe(`email: ${gateway.demo?.login.email}\npassword: ${gateway.demo?.login.password}\n`);
      await expect(
        signInStatus(gateway.url, gateway.demo?.login.email ?? "", gateway.demo?.login.password ?? ""),
      ).resolves.toBe(303);

      const response = await fetch(`${gateway.url}/v1/invoices?wait=10`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(sampleInvoice()),
      });
      const body = (await response.json()) as { state: string; fbrInvoiceNumber: string };
      expect(body.state).toBe("accepted");
      expect(body.fbrInvoiceNumber).toMatch(/^7000007DI/);

      await gateway.close();
      gateway = await startGateway(config, { logger });
      expect(gateway.demo?.apiKey).toBe(key);
      expect(readFileSync(join(dir.path, "demo-login"), "utf8")).toBe(login);
      const list = await fetch(`${gateway.url}/v1/invoices`, { headers: { authorization: `Bearer ${key}` } });
      expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(1);
    } finally {
      await gateway.close();
      dir.remove();
    }
  });
});
