import {
  apiKeyScopes,
  createApiKey,
  defaultApiKeyScopes,
  listApiKeys,
  revokeApiKey,
  withAdminContext,
} from "@raseed/gateway";
import type { Command } from "commander";
import { exitTwoOnUsageErrors, runAdmin, withStoreOptions } from "./tenant.ts";

export function registerKeyCommand(program: Command): void {
  const key = exitTwoOnUsageErrors(
    program.command("key").description("Manage gateway API keys (stored hashed)"),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      key
        .command("create")
        .description("Create an API key for a tenant; the key is printed once and never stored")
        .requiredOption("--tenant <tenant>", "tenant id or NTN")
        .option(
          "--scope <scopes>",
          `comma-separated scopes (${apiKeyScopes.join(", ")}); metrics:read (all tenants' metrics) only when asked for`,
          defaultApiKeyScopes.join(","),
        )
        .option("--label <label>", "a note to recognise the key by"),
    ),
  ).action(
    async (flags: {
      tenant: string;
      scope: string;
      label?: string;
      dataDir?: string;
      db?: string;
      config?: string;
    }) =>
      runAdmin(async () => {
        await withAdminContext(flags, process.env, async (ctx) => {
          const created = await createApiKey(ctx.store.db, flags.tenant, {
            scopes: flags.scope.split(","),
            ...(flags.label !== undefined ? { label: flags.label } : {}),
          });
          process.stderr.write(
            `key id ${created.id} for tenant ${created.tenantId}, scopes ${created.scopes.join(",")}\n`,
          );
          process.stderr.write("store this key now: it is shown only once\n");
          process.stdout.write(`${created.key}\n`);
        });
      }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      key
        .command("list")
        .description(
          "List API keys: id, tenant, label, scopes, created, last used (its last audited action), revoked; never the key",
        )
        .option("--tenant <tenant>", "only this tenant's keys (id or NTN)")
        .option("--json", "print JSON"),
    ),
  ).action(
    async (flags: { tenant?: string; json?: boolean; dataDir?: string; db?: string; config?: string }) =>
      runAdmin(async () => {
        await withAdminContext(flags, process.env, async (ctx) => {
          const keys = await listApiKeys(ctx.store.db, flags.tenant);
          if (flags.json === true) {
            process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
            return;
          }
          for (const k of keys) {
            const status = k.revokedAt === null ? "active" : `revoked ${k.revokedAt}`;
            process.stdout.write(
              `${k.id}  ${k.tenantNtn}  ${status}  scopes ${k.scopes.join(",")}  created ${k.createdAt}  last used ${k.lastUsedAt ?? "never"}${k.label === null ? "" : `  ${k.label}`}\n`,
            );
          }
          if (keys.length === 0) process.stdout.write("no keys\n");
        });
      }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      key
        .command("revoke")
        .description("Revoke an API key by its id")
        .argument("<keyId>", "the key id (key_...)"),
    ),
  ).action(async (keyId: string, flags: { dataDir?: string; db?: string; config?: string }) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        await revokeApiKey(ctx.store.db, keyId);
        process.stdout.write(`revoked ${keyId}\n`);
      });
    }),
  );
}
