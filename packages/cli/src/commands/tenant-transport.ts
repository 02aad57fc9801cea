// `raseed tenant transport set|show|clear`: how one tenant reaches FBR when not straight to PRAL (issue 12):
// an outbound proxy with the whitelisted IP, a licensed integrator's relay with a client certificate, or the
// relay's OAuth2 client-credentials token. Secrets come from files or the environment, never argv.
import { readFileSync } from "node:fs";
import {
  findTenant,
  openTenantTransport,
  setTenantTransport,
  summariseTenantTransport,
  TenantError,
  type TenantTransportSummary,
  withAdminContext,
} from "@raseed/gateway";
import type { Command } from "commander";
import { exitTwoOnUsageErrors, readSecretOption, runAdmin, withStoreOptions } from "./tenant.ts";

interface StoreFlags {
  dataDir?: string;
  db?: string;
  config?: string;
}

interface SetFlags extends StoreFlags {
  fbrUrl?: string;
  proxy?: string;
  proxyFile?: string;
  clientCert?: string;
  clientKey?: string;
  ca?: string;
  maxTls?: string;
  oauth2TokenUrl?: string;
  oauth2ClientId?: string;
  oauth2ClientSecret?: string;
  oauth2ClientSecretFile?: string;
  oauth2Scope?: string;
}

function readPemFile(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new TenantError(`cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

/** The transport the flags describe (as a whole: `set` replaces what was stored). */
function transportFromFlags(
  flags: SetFlags,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  const transport: Record<string, unknown> = {};
  if (flags.fbrUrl !== undefined) transport.fbrUrl = flags.fbrUrl;
  if (flags.proxy !== undefined && flags.proxyFile !== undefined) {
    throw new TenantError("give either --proxy or --proxy-file, not both");
  }
  // A proxy URL may hold a password: --proxy-file keeps it out of argv (ps, shell history).
  if (flags.proxy !== undefined) transport.proxy = flags.proxy;
  if (flags.proxyFile !== undefined) transport.proxy = readPemFile(flags.proxyFile, "--proxy-file").trim();
  if ((flags.clientCert === undefined) !== (flags.clientKey === undefined)) {
    throw new TenantError("--client-cert and --client-key go together");
  }
  if (flags.clientCert !== undefined && flags.clientKey !== undefined) {
    const passphrase = env.RASEED_CLIENT_KEY_PASSPHRASE;
    transport.clientCertificate = {
      certPem: readPemFile(flags.clientCert, "--client-cert"),
      keyPem: readPemFile(flags.clientKey, "--client-key"),
      ...(passphrase !== undefined && passphrase !== "" ? { passphrase } : {}),
    };
  }
  if (flags.ca !== undefined) transport.caPem = readPemFile(flags.ca, "--ca");
  if (flags.maxTls !== undefined) {
    const versions: Record<string, string> = { "1.2": "TLSv1.2", "1.3": "TLSv1.3" };
    const version = versions[flags.maxTls];
    if (version === undefined) throw new TenantError(`--max-tls must be 1.2 or 1.3, got "${flags.maxTls}"`);
    transport.maxTlsVersion = version;
  }
  const oauth = [flags.oauth2TokenUrl, flags.oauth2ClientId];
  if (oauth.some((value) => value !== undefined)) {
    if (flags.oauth2TokenUrl === undefined || flags.oauth2ClientId === undefined) {
      throw new TenantError("--oauth2-token-url and --oauth2-client-id go together");
    }
    transport.oauth2 = {
      tokenUrl: flags.oauth2TokenUrl,
      clientId: flags.oauth2ClientId,
      clientSecret: readSecretOption(
        {
          value: flags.oauth2ClientSecret,
          file: flags.oauth2ClientSecretFile,
          envName: "RASEED_OAUTH2_CLIENT_SECRET",
          flag: "--oauth2-client-secret",
        },
        env,
      ),
      ...(flags.oauth2Scope !== undefined ? { scope: flags.oauth2Scope } : {}),
    };
  }
  if (Object.keys(transport).length === 0) {
    throw new TenantError(
      "nothing to set: give --fbr-url, --proxy, --client-cert/--client-key, --ca or --oauth2-*",
    );
  }
  return transport;
}

function describe(summary: TenantTransportSummary | null): string {
  if (summary === null) return "global settings (fbrUrl, fbrProxy) and the stored PRAL token\n";
  const lines: string[] = [];
  if (summary.fbrUrl !== undefined) lines.push(`FBR origin:          ${summary.fbrUrl}`);
  if (summary.proxy !== undefined) lines.push(`proxy:               ${summary.proxy}`);
  const certificate = summary.clientCertificate;
  if (certificate !== undefined) {
    lines.push(`client certificate:  ${certificate.subject.replace(/\n/g, ", ")}`);
    lines.push(`  valid to:          ${certificate.validTo}`);
    lines.push(`  SHA-256:           ${certificate.fingerprint256}`);
    lines.push(`  TLS at most:       ${summary.maxTlsVersion ?? "TLSv1.2"}`);
  }
  if (summary.ca !== undefined) lines.push(`trusted CA:          ${summary.ca.subject.replace(/\n/g, ", ")}`);
  if (summary.oauth2 !== undefined) {
    lines.push(`OAuth2 token:        ${summary.oauth2.clientId} at ${summary.oauth2.tokenUrl}`);
  }
  return `${lines.join("\n")}\n`;
}

export function registerTenantTransportCommand(tenant: Command): void {
  const transport = exitTwoOnUsageErrors(
    tenant
      .command("transport")
      .description(
        "How a tenant reaches FBR: its own proxy, a relay with a client certificate (mTLS) or OAuth2 token",
      ),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      transport
        .command("set")
        .description(
          "Set (replace as a whole) a tenant's transport, stored encrypted; a paused tenant resumes",
        )
        .argument("<tenant>", "tenant id or NTN")
        .option("--fbr-url <url>", "the relay's origin, used instead of fbrUrl for DI and reference calls")
        .option("--proxy <url>", 'outbound HTTP(S) proxy for this tenant, or "direct" to bypass fbrProxy')
        .option("--proxy-file <path>", "file holding the proxy URL (keeps its password out of argv)")
        .option("--client-cert <file>", "client certificate (PEM) for a relay that requires mutual TLS")
        .option("--client-key <file>", "its private key (PEM; passphrase from RASEED_CLIENT_KEY_PASSPHRASE)")
        .option("--ca <file>", "CA certificate(s) (PEM) that sign the relay's server certificate")
        .option("--max-tls <version>", "highest TLS version with a client certificate: 1.2 (default) or 1.3")
        .option("--oauth2-token-url <url>", "the relay's OAuth2 token endpoint (client credentials)")
        .option("--oauth2-client-id <id>", "OAuth2 client id")
        .option("--oauth2-client-secret-file <path>", "file holding the OAuth2 client secret (recommended)")
        .option(
          "--oauth2-client-secret <secret>",
          "the secret itself, or - to read it from stdin (else RASEED_OAUTH2_CLIENT_SECRET)",
        )
        .option("--oauth2-scope <scope>", "OAuth2 scope, when the relay wants one"),
    ),
  ).action(async (idOrNtn: string, flags: SetFlags) =>
    runAdmin(async () => {
      const wanted = transportFromFlags(flags, process.env);
      await withAdminContext(flags, process.env, async (ctx) => {
        const { transport: summary, resumed } = await setTenantTransport(
          ctx.store.db,
          ctx.masterKey,
          idOrNtn,
          wanted,
        );
        process.stdout.write(describe(summary));
        process.stdout.write(`transport set; ${resumed} paused invoice(s) resumed\n`);
      });
    }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      transport
        .command("show")
        .description("Show a tenant's transport (never a key, secret or password)")
        .argument("<tenant>", "tenant id or NTN")
        .option("--json", "print JSON"),
    ),
  ).action(async (idOrNtn: string, flags: StoreFlags & { json?: boolean }) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        const row = await findTenant(ctx.store.db, idOrNtn);
        if (row === undefined) throw new TenantError(`no tenant with id or NTN ${idOrNtn}`);
        const stored = openTenantTransport(ctx.masterKey, row);
        const summary = stored === undefined ? null : summariseTenantTransport(stored);
        process.stdout.write(
          flags.json === true ? `${JSON.stringify(summary, null, 2)}\n` : describe(summary),
        );
      });
    }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      transport
        .command("clear")
        .description("Forget a tenant's transport: back to the global settings and its PRAL token")
        .argument("<tenant>", "tenant id or NTN"),
    ),
  ).action(async (idOrNtn: string, flags: StoreFlags) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        const { resumed } = await setTenantTransport(ctx.store.db, ctx.masterKey, idOrNtn, null);
        process.stdout.write(`transport cleared; ${resumed} paused invoice(s) resumed\n`);
      });
    }),
  );
}
