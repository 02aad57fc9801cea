// `raseed user add|list|disable|reset-password` against a real store, by spawning the CLI as a user would.
// Passwords come from a file or stdin (never argv) or are generated and printed once; none is ever listed.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkSignIn } from "../src/people/users.ts";
import { openStore } from "../src/store/database.ts";
import { cliRunner } from "./cli-process.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir("raseed-cli-user-");
const env = { ...process.env, RASEED_MASTER_KEY: "22".repeat(32) };

const run = cliRunner({ env, trailingArgs: ["--data-dir", dir.path] });
const raseed = (args: string[], input?: string) => run(args, input === undefined ? {} : { input });

afterAll(() => dir.remove());

describe("raseed user", () => {
  it("adds people from a file, stdin or a generated password; lists, disables and resets them", {
    timeout: 240_000,
  }, async () => {
    const tenant = raseed([
      "tenant",
      "add",
      "--ntn",
      "7000007",
      "--name",
      "Demo",
      "--province",
      "Sindh",
      "--address",
      "Karachi",
      "--fbr-token",
      "t",
    ]);
    expect(tenant.status).toBe(0);

    const passwordFile = join(dir.path, "pw.txt");
    writeFileSync(passwordFile, "from a file, twelve+\n");
    const fromFile = raseed([
      "user",
      "add",
      "--tenant",
      "7000007",
      "--email",
      "Admin@Demo.pk",
      "--role",
      "admin",
      "--password-file",
      passwordFile,
    ]);
    expect(fromFile.status).toBe(0);
    expect(fromFile.stdout).toBe("");

    const fromStdin = raseed(
      [
        "user",
        "add",
        "--tenant",
        "7000007",
        "--email",
        "ops@demo.pk",
        "--role",
        "operator",
        "--password",
        "-",
      ],
      "typed into a pipe\n",
    );
    expect(fromStdin.status).toBe(0);

    const generated = raseed([
      "user",
      "add",
      "--tenant",
      "7000007",
      "--email",
      "audit@demo.pk",
      "--role",
      "auditor",
    ]);
    expect(generated.status).toBe(0);
    expect(generated.stderr).toContain("shown only once");
    const generatedPassword = generated.stdout.trim();
    expect(generatedPassword).toMatch(/^[A-Za-z0-9]{20}$/);

    const listed = raseed(["user", "list", "--tenant", "7000007"]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain("admin@demo.pk\tadmin\tactive");
    expect(listed.stdout).toContain("ops@demo.pk\toperator\tactive");
    expect(listed.stdout).toContain("audit@demo.pk\tauditor\tactive");
    for (const secret of ["from a file", "typed into a pipe", generatedPassword])
      expect(listed.stdout).not.toContain(secret);

    // Passwords never on the command line; unknown roles and people are usage errors (exit 2, one line).
    const argvPassword = raseed([
      "user",
      "add",
      "--tenant",
      "7000007",
      "--email",
      "x@demo.pk",
      "--role",
      "admin",
      "--password",
      "in argv is visible",
    ]);
    expect(argvPassword.status).toBe(2);
    const badRole = raseed(["user", "add", "--tenant", "7000007", "--email", "x@demo.pk", "--role", "owner"]);
    expect(badRole.status).toBe(2);
    expect(badRole.stderr.trim().split("\n")).toHaveLength(1);
    expect(raseed(["user", "disable", "--email", "nobody@demo.pk"]).status).toBe(2);

    expect(raseed(["user", "disable", "--email", "ops@demo.pk"]).status).toBe(0);
    const reset = raseed(["user", "reset-password", "--email", "audit@demo.pk"]);
    expect(reset.status).toBe(0);
    const newPassword = reset.stdout.trim();
    expect(newPassword).not.toBe(generatedPassword);
    expect(raseed(["user", "list", "--tenant", "7000007"]).stdout).toContain(
      "ops@demo.pk\toperator\tdisabled",
    );

    const store = await openStore({ db: join(dir.path, "raseed.db"), dataDir: dir.path });
    try {
      expect((await checkSignIn(store.db, "admin@demo.pk", "from a file, twelve+", "127.0.0.1")).ok).toBe(
        true,
      );
      expect((await checkSignIn(store.db, "ops@demo.pk", "typed into a pipe", "127.0.0.1")).ok).toBe(false);
      expect((await checkSignIn(store.db, "audit@demo.pk", generatedPassword, "127.0.0.1")).ok).toBe(false);
      expect((await checkSignIn(store.db, "audit@demo.pk", newPassword, "127.0.0.1")).ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});
