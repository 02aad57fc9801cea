// `raseed tenant transport set|show|clear`: a tenant's proxy, relay, client certificate and OAuth2 client are
// stored encrypted, shown without a secret, and refused with the field named when they do not fit.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../src/store/database.ts";
import { parseMasterKey } from "../src/tenants/secret-box.ts";
import { findTenant } from "../src/tenants/tenants.ts";
import { openTenantTransport } from "../src/tenants/transport.ts";
import { cliRunner } from "./cli-process.ts";
import { tempDir } from "./helpers.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/tls/", import.meta.url));
const dir = tempDir("raseed-cli-transport-");
const MASTER = "33".repeat(32);
const SECRET = "cli-oauth-secret-5521";
const PROXY = "http://egress:cli-proxy-pw@10.1.2.3:3128";

const run = cliRunner({
  env: { ...process.env, RASEED_MASTER_KEY: MASTER },
  trailingArgs: ["--data-dir", dir.path],
});
const raseed = (args: string[], env: Record<string, string> = {}) => run(args, { env });

afterAll(() => dir.remove());

describe("raseed tenant transport", () => {
  it("sets, shows and clears a tenant's transport; secrets stay out of argv and output", {
    timeout: 240_000,
  }, async () => {
    const tokenFile = join(dir.path, "fbr-token");
    writeFileSync(tokenFile, "pral-static-token\n", { mode: 0o600 });
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
    ]);
    expect(added.stderr).toBe("");
    expect(added.status).toBe(0);

    const proxyFile = join(dir.path, "proxy-url");
    writeFileSync(proxyFile, `${PROXY}\n`, { mode: 0o600 });
    const set = raseed(
      [
        "tenant",
        "transport",
        "set",
        "7000007",
        "--fbr-url",
        "https://relay.example",
        "--proxy-file",
        proxyFile,
        "--client-cert",
        join(FIXTURES, "client.pem"),
        "--client-key",
        join(FIXTURES, "client.key"),
        "--ca",
        join(FIXTURES, "ca.pem"),
        "--oauth2-token-url",
        "https://relay.example/oauth2/token",
        "--oauth2-client-id",
        "erp-7000007",
      ],
      { RASEED_OAUTH2_CLIENT_SECRET: SECRET },
    );
    expect(set.stderr).toBe("");
    expect(set.status).toBe(0);
    expect(set.stdout).toContain("proxy:               http://10.1.2.3:3128");
    expect(set.stdout).toContain("CN=raseed-tenant-7000007");
    expect(set.stdout).toContain("OAuth2 token:        erp-7000007 at https://relay.example/oauth2/token");

    const shown = raseed(["tenant", "transport", "show", "7000007", "--json"]);
    expect(shown.status).toBe(0);
    const summary = JSON.parse(shown.stdout);
    expect(summary).toMatchObject({
      fbrUrl: "https://relay.example",
      proxy: "http://10.1.2.3:3128",
      oauth2: { clientId: "erp-7000007" },
    });
    for (const output of [set.stdout, shown.stdout]) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain("cli-proxy-pw");
      expect(output).not.toContain("PRIVATE KEY");
    }

    // Stored encrypted; opened with the master key it is all there.
    const store = await openStore({ dataDir: dir.path });
    try {
      const tenant = await findTenant(store.db, "7000007");
      if (tenant === undefined) throw new Error("tenant missing");
      expect(tenant.transport_enc).not.toContain("relay.example");
      const opened = openTenantTransport(parseMasterKey(MASTER), tenant);
      expect(opened?.oauth2?.clientSecret).toBe(SECRET);
      expect(opened?.proxy).toBe(PROXY);
      expect(opened?.clientCertificate?.keyPem).toBe(readFileSync(join(FIXTURES, "client.key"), "utf8"));
    } finally {
      await store.close();
    }

    const mismatched = raseed([
      "tenant",
      "transport",
      "set",
      "7000007",
      "--client-cert",
      join(FIXTURES, "client.pem"),
      "--client-key",
      join(FIXTURES, "stranger.key"),
    ]);
    expect(mismatched.status).toBe(2);
    expect(mismatched.stderr).toBe(
      "raseed: clientCertificate.keyPem does not belong to clientCertificate.certPem\n",
    );

    const cleared = raseed(["tenant", "transport", "clear", "7000007"]);
    expect(cleared.status).toBe(0);
    expect(raseed(["tenant", "transport", "show", "7000007"]).stdout).toBe(
      "global settings (fbrUrl, fbrProxy) and the stored PRAL token\n",
    );
  });
});
