// Tokens reach `raseed tenant add / set-token / add-pos` without appearing in argv (ps, shell history):
// from a file, from stdin (`-`) or from RASEED_FBR_TOKEN / RASEED_IMS_TOKEN. And an admin command
// pointed at a folder with no store says so instead of creating one.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSecretOption } from "../../cli/src/commands/tenant.ts";
import { openStore } from "../src/store/database.ts";
import { findImsTerminal, imsTerminalToken } from "../src/tenants/ims-terminals.ts";
import { parseMasterKey } from "../src/tenants/secret-box.ts";
import { findTenant, tenantFbrToken } from "../src/tenants/tenants.ts";
import { cliRunner } from "./cli-process.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir("raseed-cli-secrets-");
const MASTER = "22".repeat(32);

const { RASEED_FBR_TOKEN: _f, RASEED_IMS_TOKEN: _i, ...base } = process.env;
const raseed = cliRunner({ env: { ...base, RASEED_MASTER_KEY: MASTER } });

afterAll(() => dir.remove());

describe("token options", () => {
  it("reads a token from a file, stdin or the environment, trimmed; refuses ambiguity and absence", () => {
    const file = join(dir.path, "token.txt");
    writeFileSync(file, "from-file-token\n", { mode: 0o600 });
    const flag = "--fbr-token";
    const envName = "RASEED_FBR_TOKEN";
    expect(readSecretOption({ file, envName, flag }, {})).toBe("from-file-token");
    expect(readSecretOption({ value: "-", envName, flag }, {}, () => "piped-token\n")).toBe("piped-token");
    expect(readSecretOption({ envName, flag }, { RASEED_FBR_TOKEN: "env-token" })).toBe("env-token");
    expect(() => readSecretOption({ value: "x", file, envName, flag }, {})).toThrow(/not both/);
    expect(() => readSecretOption({ envName, flag }, {})).toThrow(/--fbr-token-file <path>/);
    expect(() => readSecretOption({ value: "-", envName, flag }, {}, () => "\n")).toThrow(/empty/);
    expect(() => readSecretOption({ file: join(dir.path, "missing"), envName, flag }, {})).toThrow(/ENOENT/);
  });

  it("tenant add (file), set-token (stdin) and add-pos (env) store the token; it never shows up in argv", {
    timeout: 180_000,
  }, async () => {
    const tokenFile = join(dir.path, "fbr-token");
    writeFileSync(tokenFile, "first-secret-token\n", { mode: 0o600 });
    const store = ["--data-dir", dir.path];
    const added = raseed([
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
      "--fbr-token-file",
      tokenFile,
      ...store,
    ]);
    expect(added.stderr).toBe("");
    expect(added.status).toBe(0);
    const rotated = raseed(["tenant", "set-token", "7000007", "--fbr-token", "-", ...store], {
      input: "second-secret-token\n",
    });
    expect(rotated.status).toBe(0);
    const pos = raseed(["tenant", "add-pos", "--tenant", "7000007", "--pos-id", "110014", ...store], {
      env: { RASEED_IMS_TOKEN: "ims-secret-token" },
    });
    expect(pos.status).toBe(0);
    const none = raseed(["tenant", "set-token", "7000007", ...store]);
    expect(none.status).toBe(2);
    expect(none.stderr.trim().split("\n")).toHaveLength(1);
    for (const output of [added, rotated, pos, none]) {
      expect(output.stdout + output.stderr).not.toMatch(/first-secret|second-secret|ims-secret/);
    }

    const opened = await openStore({ dataDir: dir.path });
    try {
      const key = parseMasterKey(MASTER);
      const tenant = await findTenant(opened.db, "7000007");
      expect(tenant).toBeDefined();
      if (tenant === undefined) return;
      expect(tenantFbrToken(key, tenant)).toBe("second-secret-token");
      const terminal = await findImsTerminal(opened.db, tenant.id, 110014);
      expect(terminal).toBeDefined();
      if (terminal !== undefined) expect(imsTerminalToken(key, terminal)).toBe("ims-secret-token");
    } finally {
      await opened.close();
    }
  });

  it("an admin command on a folder with no store exits 2 with one line and creates nothing", {
    timeout: 60_000,
  }, () => {
    const missing = join(dir.path, "nonexist");
    const listed = raseed(["tenant", "list", "--data-dir", missing]);
    expect(listed.status).toBe(2);
    expect(listed.stderr.trim().split("\n")).toHaveLength(1);
    expect(listed.stderr).toMatch(/no Raseed store at/);
    expect(existsSync(missing)).toBe(false);
  });
});
