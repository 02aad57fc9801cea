import { readFileSync } from "node:fs";
import {
  addImsTerminal,
  addTenant,
  ConfigError,
  listImsTerminals,
  listTenants,
  MasterKeyError,
  parseImsAuthority,
  setTenantDisabled,
  setTenantToken,
  TenantError,
  updateTenant,
  withAdminContext,
} from "@raseed/gateway";
import type { Command } from "commander";
import { registerTenantTransportCommand } from "./tenant-transport.ts";

interface StoreFlags {
  dataDir?: string;
  db?: string;
  config?: string;
}

/** The store options every admin command shares with `raseed serve`. */
export function withStoreOptions(command: Command): Command {
  return command
    .option("--data-dir <dir>", "data folder (SQLite file, master key)")
    .option("--db <target>", "SQLite file or postgres:// URL")
    .option("--config <file>", "gateway config file (JSON)");
}

/** Usage problems exit 2 with one line; anything else exits 1 with one line; never a stack trace. */
export async function runAdmin(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    // A missing store or a master key that cannot open it is the operator's to fix: exit 2 like usage.
    const usage =
      error instanceof TenantError || error instanceof ConfigError || error instanceof MasterKeyError;
    process.stderr.write(`raseed: ${(error as Error).message}\n`);
    process.exitCode = usage ? 2 : 1;
  }
}

/**
 * A token from a file, from stdin (`-`) or from an environment variable rather than argv: argv is visible
 * to every user in `ps` and lands in shell history. The flag value itself still works, for scripts that
 * already use it.
 */
export function readSecretOption(
  options: { value?: string | undefined; file?: string | undefined; envName: string; flag: string },
  env: Record<string, string | undefined> = process.env,
  readStdin: () => string = () => readFileSync(0, "utf8"),
): string {
  const { value, file, envName, flag } = options;
  if (value !== undefined && file !== undefined) {
    throw new TenantError(`give either ${flag} or ${flag}-file, not both`);
  }
  let secret: string | undefined;
  let source: string;
  if (file !== undefined) {
    source = file;
    try {
      secret = readFileSync(file, "utf8");
    } catch (error) {
      throw new TenantError(
        `cannot read ${flag}-file ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
  } else if (value === "-") {
    source = "stdin";
    secret = readStdin();
  } else if (value !== undefined) {
    source = flag;
    secret = value;
  } else {
    source = envName;
    secret = env[envName];
    if (secret === undefined) {
      throw new TenantError(
        `give the token with ${flag}-file <path>, ${flag} - (read from stdin) or the ${envName} environment variable`,
      );
    }
  }
  // A file or a pipe usually ends with a newline that is not part of the token.
  const trimmed = secret.trim();
  if (trimmed === "") throw new TenantError(`the token from ${source} is empty`);
  return trimmed;
}

export function exitTwoOnUsageErrors(command: Command): Command {
  return command.exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });
}

export function registerTenantCommand(program: Command): void {
  const tenant = exitTwoOnUsageErrors(
    program.command("tenant").description("Manage gateway tenants (one per seller NTN) and their FBR tokens"),
  );
  registerTenantTransportCommand(tenant);

  withStoreOptions(
    exitTwoOnUsageErrors(
      tenant
        .command("add")
        .description("Add a tenant; prints its id")
        .requiredOption("--ntn <ntn>", "seller NTN (7 digits) or CNIC (13 digits)")
        .requiredOption("--name <name>", "seller business name as registered with FBR")
        .requiredOption("--province <province>", "seller province, e.g. Sindh")
        .requiredOption("--address <address>", "seller address")
        .option("--env <environment>", "sandbox or production", "sandbox")
        .option(
          "--ims-authority <authority>",
          "who the tenant's POS terminals (IMS) report to: fbr, or pra (Punjab Revenue Authority)",
          "fbr",
        )
        .option(
          "--fbr-token-file <path>",
          "file holding the seller's PRAL DI token (recommended; stored encrypted)",
        )
        .option(
          "--fbr-token <token>",
          "the token itself, or - to read it from stdin (else RASEED_FBR_TOKEN)",
        ),
    ),
  ).action(
    async (
      flags: StoreFlags & {
        ntn: string;
        name: string;
        province: string;
        address: string;
        env: string;
        imsAuthority: string;
        fbrToken?: string;
        fbrTokenFile?: string;
      },
    ) =>
      runAdmin(async () => {
        if (flags.env !== "sandbox" && flags.env !== "production") {
          throw new TenantError(`--env must be sandbox or production, got "${flags.env}"`);
        }
        const environment = flags.env;
        const imsAuthority = parseImsAuthority(flags.imsAuthority);
        const fbrToken = readSecretOption({
          value: flags.fbrToken,
          file: flags.fbrTokenFile,
          envName: "RASEED_FBR_TOKEN",
          flag: "--fbr-token",
        });
        await withAdminContext(flags, process.env, { createStore: true }, async (ctx) => {
          const created = await addTenant(ctx.store.db, ctx.masterKey, {
            ntn: flags.ntn,
            name: flags.name,
            province: flags.province,
            address: flags.address,
            environment,
            imsAuthority,
            fbrToken,
          });
          process.stdout.write(`${created.id}\n`);
        });
      }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(tenant.command("list").description("List tenants").option("--json", "print JSON")),
  ).action(async (flags: StoreFlags & { json?: boolean }) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        const tenants = await listTenants(ctx.store.db);
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(tenants, null, 2)}\n`);
          return;
        }
        for (const t of tenants) {
          const status =
            t.disabledAt !== null
              ? `DISABLED since ${t.disabledAt}`
              : t.paused
                ? `PAUSED (${t.pausedReason ?? "unauthorised"})`
                : "active";
          process.stdout.write(`${t.id}  ${t.ntn}  ${t.environment}  ${status}  ${t.name}\n`);
        }
        if (tenants.length === 0) process.stdout.write("no tenants\n");
      });
    }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      tenant
        .command("update")
        .description(
          "Change a tenant's seller details, FBR environment or IMS authority (audited); prints the tenant",
        )
        .argument("<tenant>", "tenant id or NTN")
        .option("--name <name>", "seller business name as registered with FBR")
        .option("--province <province>", "seller province, one of FBR's list (e.g. Sindh, PUNJAB)")
        .option("--address <address>", "seller address")
        .option("--env <environment>", "sandbox or production")
        .option(
          "--ims-authority <authority>",
          "who the tenant's POS terminals (IMS) report to: fbr, or pra (Punjab Revenue Authority)",
        ),
    ),
  ).action(
    async (
      idOrNtn: string,
      flags: StoreFlags & {
        name?: string;
        province?: string;
        address?: string;
        env?: string;
        imsAuthority?: string;
      },
    ) =>
      runAdmin(async () => {
        if (flags.env !== undefined && flags.env !== "sandbox" && flags.env !== "production") {
          throw new TenantError(`--env must be sandbox or production, got "${flags.env}"`);
        }
        const changes = [flags.name, flags.province, flags.address, flags.env, flags.imsAuthority];
        if (changes.every((value) => value === undefined)) {
          throw new TenantError(
            "nothing to change: give --name, --province, --address, --env or --ims-authority",
          );
        }
        await withAdminContext(flags, process.env, async (ctx) => {
          const updated = await updateTenant(ctx.store.db, idOrNtn, {
            ...(flags.name !== undefined ? { name: flags.name } : {}),
            ...(flags.province !== undefined ? { province: flags.province } : {}),
            ...(flags.address !== undefined ? { address: flags.address } : {}),
            ...(flags.env !== undefined ? { environment: flags.env as "sandbox" | "production" } : {}),
            ...(flags.imsAuthority !== undefined ? { imsAuthority: flags.imsAuthority } : {}),
          });
          process.stdout.write(
            `${updated.id}  ${updated.ntn}  ${updated.environment}  ${updated.province}  ${updated.name}\n`,
          );
        });
      }),
  );

  for (const disabled of [true, false]) {
    withStoreOptions(
      exitTwoOnUsageErrors(
        tenant
          .command(disabled ? "disable" : "enable")
          .description(
            disabled
              ? "Disable a tenant (off-boarding): its API keys and people are refused at once; invoices already queued still go to FBR (audited)"
              : "Enable a disabled tenant again: its API keys and people work again (audited)",
          )
          .argument("<tenant>", "tenant id or NTN"),
      ),
    ).action(async (idOrNtn: string, flags: StoreFlags) =>
      runAdmin(async () => {
        await withAdminContext(flags, process.env, async (ctx) => {
          const updated = await setTenantDisabled(ctx.store.db, idOrNtn, disabled);
          process.stdout.write(
            `${updated.id}  ${updated.ntn}  ${updated.disabledAt === null ? "enabled" : `disabled since ${updated.disabledAt}`}  ${updated.name}\n`,
          );
        });
      }),
    );
  }

  withStoreOptions(
    exitTwoOnUsageErrors(
      tenant
        .command("set-token")
        .description("Replace a tenant's FBR token; a paused tenant resumes")
        .argument("<tenant>", "tenant id or NTN")
        .option(
          "--fbr-token-file <path>",
          "file holding the new PRAL DI token (recommended; stored encrypted)",
        )
        .option(
          "--fbr-token <token>",
          "the token itself, or - to read it from stdin (else RASEED_FBR_TOKEN)",
        ),
    ),
  ).action(async (idOrNtn: string, flags: StoreFlags & { fbrToken?: string; fbrTokenFile?: string }) =>
    runAdmin(async () => {
      const fbrToken = readSecretOption({
        value: flags.fbrToken,
        file: flags.fbrTokenFile,
        envName: "RASEED_FBR_TOKEN",
        flag: "--fbr-token",
      });
      await withAdminContext(flags, process.env, async (ctx) => {
        const { tenant: updated, resumed } = await setTenantToken(
          ctx.store.db,
          ctx.masterKey,
          idOrNtn,
          fbrToken,
        );
        process.stdout.write(
          `token updated for ${updated.id} (${updated.ntn}); ${resumed} paused invoice(s) resumed\n`,
        );
      });
    }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      tenant
        .command("add-pos")
        .description(
          "Register an IMS POS terminal (FBR POSID + IMS token) for a tenant, or replace its token; held sales resume",
        )
        .requiredOption("--tenant <tenant>", "tenant id or NTN")
        .requiredOption("--pos-id <posId>", "the POSID FBR issued for the till")
        .option(
          "--ims-token-file <path>",
          "file holding the IMS token FBR issued for that POSID (recommended)",
        )
        .option("--ims-token <token>", "the token itself, or - to read it from stdin (else RASEED_IMS_TOKEN)")
        .option("--env <environment>", "sandbox or production", "sandbox"),
    ),
  ).action(
    async (
      flags: StoreFlags & {
        tenant: string;
        posId: string;
        imsToken?: string;
        imsTokenFile?: string;
        env: string;
      },
    ) =>
      runAdmin(async () => {
        if (flags.env !== "sandbox" && flags.env !== "production") {
          throw new TenantError(`--env must be sandbox or production, got "${flags.env}"`);
        }
        if (!/^\d{1,10}$/.test(flags.posId.trim())) {
          throw new TenantError(`--pos-id must be FBR's numeric POSID, got "${flags.posId}"`);
        }
        const imsToken = readSecretOption({
          value: flags.imsToken,
          file: flags.imsTokenFile,
          envName: "RASEED_IMS_TOKEN",
          flag: "--ims-token",
        });
        const environment = flags.env;
        await withAdminContext(flags, process.env, async (ctx) => {
          const { terminal, created, resumed } = await addImsTerminal(
            ctx.store.db,
            ctx.masterKey,
            flags.tenant,
            {
              posId: Number(flags.posId.trim()),
              imsToken,
              environment,
            },
          );
          process.stdout.write(
            created
              ? `POS ${terminal.posId} (${terminal.environment}) registered for tenant ${terminal.tenantId}: ${terminal.id}\n`
              : `POS ${terminal.posId} (${terminal.environment}) token replaced for tenant ${terminal.tenantId}; ${resumed} held sale(s) resumed\n`,
          );
        });
      }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      tenant
        .command("list-pos")
        .description("List a tenant's IMS POS terminals (tokens are never shown)")
        .requiredOption("--tenant <tenant>", "tenant id or NTN")
        .option("--json", "print JSON"),
    ),
  ).action(async (flags: StoreFlags & { tenant: string; json?: boolean }) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        const terminals = await listImsTerminals(ctx.store.db, flags.tenant);
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(terminals, null, 2)}\n`);
          return;
        }
        for (const x of terminals) process.stdout.write(`${x.id}  POS ${x.posId}  ${x.environment}\n`);
        if (terminals.length === 0) process.stdout.write("no POS terminals\n");
      });
    }),
  );
}
