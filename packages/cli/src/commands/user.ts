// `raseed user ...`: people who sign in to the dashboard (separate from API keys). Passwords come from a
// file or stdin, never argv (visible in `ps`, kept in shell history); without one a strong password is
// generated and printed once.
import {
  addUser,
  disableUser,
  generatePassword,
  listUsers,
  resetPassword,
  TenantError,
  withAdminContext,
} from "@raseed/gateway";
import type { Command } from "commander";
import { exitTwoOnUsageErrors, readSecretOption, runAdmin, withStoreOptions } from "./tenant.ts";

interface StoreFlags {
  dataDir?: string;
  db?: string;
  config?: string;
}

interface PasswordFlags {
  password?: string;
  passwordFile?: string;
}

/** The password from --password-file or --password - (stdin); generated when neither is given. */
function choosePassword(flags: PasswordFlags): { password: string; generated: boolean } {
  if (flags.password !== undefined && flags.password !== "-") {
    throw new TenantError("--password takes only - (read from stdin); use --password-file <path> for a file");
  }
  if (flags.password === undefined && flags.passwordFile === undefined) {
    return { password: generatePassword(), generated: true };
  }
  const password = readSecretOption(
    { value: flags.password, file: flags.passwordFile, envName: "RASEED_USER_PASSWORD", flag: "--password" },
    {},
  );
  return { password, generated: false };
}

function withPasswordOptions(command: Command): Command {
  return command
    .option("--password-file <path>", "file holding the password (at least 12 characters)")
    .option(
      "--password <->",
      "- reads the password from stdin; with neither, a strong one is generated and printed once",
    );
}

export function registerUserCommand(program: Command): void {
  const user = exitTwoOnUsageErrors(
    program.command("user").description("Manage people who sign in to the dashboard (not API keys)"),
  );

  withStoreOptions(
    withPasswordOptions(
      exitTwoOnUsageErrors(
        user
          .command("add")
          .description("Add a person to a tenant with a role")
          .requiredOption("--tenant <tenant>", "tenant id or NTN")
          .requiredOption("--email <email>", "the person's email (their sign-in name)")
          .requiredOption(
            "--role <role>",
            "admin (everything), operator (invoices), or auditor (reads only)",
          ),
      ),
    ),
  ).action(async (flags: StoreFlags & PasswordFlags & { tenant: string; email: string; role: string }) =>
    runAdmin(async () => {
      const { password, generated } = choosePassword(flags);
      await withAdminContext(flags, process.env, async (ctx) => {
        const created = await addUser(ctx.store.db, {
          tenant: flags.tenant,
          email: flags.email,
          role: flags.role,
          password,
        });
        process.stderr.write(`added ${created.email} (${created.role}) to tenant ${created.tenantId}\n`);
        if (generated) {
          process.stderr.write("generated password, shown only once:\n");
          process.stdout.write(`${password}\n`);
        }
      });
    }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      user
        .command("list")
        .description("List a tenant's people")
        .requiredOption("--tenant <tenant>", "tenant id or NTN")
        .option("--json", "print JSON"),
    ),
  ).action(async (flags: StoreFlags & { tenant: string; json?: boolean }) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        const people = await listUsers(ctx.store.db, flags.tenant);
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(people, null, 2)}\n`);
          return;
        }
        for (const person of people) {
          const status = person.disabled
            ? "disabled"
            : person.lockedUntil !== null
              ? `locked until ${person.lockedUntil}`
              : "active";
          process.stdout.write(`${person.email}\t${person.role}\t${status}\t${person.createdAt}\n`);
        }
        if (people.length === 0) process.stderr.write("no people yet (raseed user add)\n");
      });
    }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      user
        .command("disable")
        .description("Disable a person: they can no longer sign in and their sessions end now")
        .requiredOption("--email <email>", "the person's email"),
    ),
  ).action(async (flags: StoreFlags & { email: string }) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        const disabled = await disableUser(ctx.store.db, flags.email);
        process.stdout.write(`disabled ${disabled.email}\n`);
      });
    }),
  );

  withStoreOptions(
    withPasswordOptions(
      exitTwoOnUsageErrors(
        user
          .command("reset-password")
          .description("Set a new password (and unlock the account); ends the person's sessions")
          .requiredOption("--email <email>", "the person's email"),
      ),
    ),
  ).action(async (flags: StoreFlags & PasswordFlags & { email: string }) =>
    runAdmin(async () => {
      const { password, generated } = choosePassword(flags);
      await withAdminContext(flags, process.env, async (ctx) => {
        const reset = await resetPassword(ctx.store.db, flags.email, password);
        process.stderr.write(`new password set for ${reset.email}; their sessions have ended\n`);
        if (generated) {
          process.stderr.write("generated password, shown only once:\n");
          process.stdout.write(`${password}\n`);
        }
      });
    }),
  );
}
