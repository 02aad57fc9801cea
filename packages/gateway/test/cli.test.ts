// `raseed tenant|key|audit` against a real store, by spawning the CLI as a user would.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../src/store/database.ts";
import { CLI, cliRunner } from "./cli-process.ts";
import { dropAuditGuards, tempDir } from "./helpers.ts";
import { freePort } from "./processes.ts";

const dir = tempDir("raseed-cli-");
const env = { ...process.env, RASEED_MASTER_KEY: "11".repeat(32) };

const run = cliRunner({ env, trailingArgs: ["--data-dir", dir.path] });
const raseed = (...args: string[]) => run(args);

afterAll(() => dir.remove());

describe("raseed tenant / key / audit", () => {
  // Each spawn loads the CLI from TypeScript source (a few seconds on a busy machine), hence the timeouts.
  it("adds, lists and re-tokens tenants, creates and revokes keys, and verifies the audit chain", {
    timeout: 180_000,
  }, async () => {
    const added = raseed(
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
      "--env",
      "sandbox",
      "--fbr-token",
      "sandbox-demo-token",
    );
    expect(added.stderr).toBe("");
    expect(added.status).toBe(0);
    const tenantId = added.stdout.trim();
    expect(tenantId).toMatch(/^ten_/);

    const listed = raseed("tenant", "list");
    expect(listed.stdout).toContain("7000007");
    expect(listed.stdout).toContain("active");
    expect(listed.stdout).not.toContain("sandbox-demo-token");

    const key = raseed("key", "create", "--tenant", "7000007", "--scope", "invoices:read,invoices:write");
    expect(key.status).toBe(0);
    expect(key.stdout.trim()).toMatch(/^rsd_/);
    const keyId = /key id (key_\S+)/.exec(key.stderr)?.[1];
    expect(keyId).toBeDefined();

    expect(raseed("tenant", "set-token", "7000007", "--fbr-token", "rotated-token-1").status).toBe(0);
    expect(raseed("key", "revoke", keyId as string).status).toBe(0);

    const verified = raseed("audit", "verify");
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(/ok .*4 entries, chain intact/);
    expect(verified.stdout).toContain("ok      invoices agree with the audit log and their seals");

    // Tamper with one entry: verify names the first broken link and exits 1.
    const store = await openStore({ dataDir: dir.path, db: join(dir.path, "raseed.db") });
    await dropAuditGuards(store);
    await store.db.updateTable("audit").set({ actor: "someone-else" }).where("seq", "=", 2).execute();
    await store.close();
    const broken = raseed("audit", "verify", "--tenant", tenantId);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toMatch(/BROKEN .*first broken link at entry 2/);
  });

  it("prints the seal key's public half, derived from the master key, for auditors", {
    timeout: 90_000,
  }, () => {
    const publicKey = raseed("audit", "public-key");
    expect(publicKey.stderr).toBe("");
    expect(publicKey.status).toBe(0);
    expect(publicKey.stdout).toMatch(
      /^key id: [0-9a-f]{16}\nraw \(base64\): [A-Za-z0-9+/]{43}=\n-----BEGIN PUBLIC KEY-----\n/,
    );
  });

  it("serve: starts with the built-in simulator, answers health checks and stops on SIGTERM; bad config exits 2", {
    timeout: 120_000,
  }, async () => {
    const configFile = join(dir.path, "bad.json");
    writeFileSync(configFile, JSON.stringify({ port: 1, colour: "blue" }));
    const bad = raseed("serve", "--config", configFile);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(`raseed serve: unknown config key "colour" in ${configFile}`);

    const port = await freePort();
    const child = spawn(
      process.execPath,
      [CLI, "serve", "--with-simulator", "--port", String(port), "--data-dir", dir.path],
      {
        env: { ...env, RASEED_LOG_LEVEL: "warn" },
        stdio: "ignore",
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      let ready: unknown;
      for (let i = 0; i < 300 && ready === undefined; i += 1) {
        try {
          ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(ready).toEqual({ status: "ready", engine: "sqlite" });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("answers usage errors with exit 2 and one line, never a stack trace", { timeout: 120_000 }, () => {
    const duplicate = raseed(
      "tenant",
      "add",
      "--ntn",
      "7000007",
      "--name",
      "X",
      "--province",
      "Sindh",
      "--address",
      "Y",
      "--fbr-token",
      "abc",
    );
    expect(duplicate.status).toBe(2);
    expect(duplicate.stderr.trim().split("\n")).toHaveLength(1);
    expect(duplicate.stderr).toContain("already exists");
    const badEnv = raseed(
      "tenant",
      "add",
      "--ntn",
      "7000099",
      "--name",
      "X",
      "--province",
      "P",
      "--address",
      "A",
      "--env",
      "live",
      "--fbr-token",
      "t",
    );
    expect(badEnv.status).toBe(2);
    expect(badEnv.stderr).toContain("--env must be sandbox or production");
    const missing = raseed("key", "create");
    expect(missing.status).toBe(2);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const unknownTenant = raseed("key", "create", "--tenant", "9999999");
    expect(unknownTenant.status).toBe(2);
    expect(unknownTenant.stderr).toContain("no tenant");
  });
});
