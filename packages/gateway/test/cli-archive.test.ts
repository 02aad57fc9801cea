// `raseed archive export|verify` as a user runs them: the exit codes are the contract (0 intact, 1 damaged
// with each entry named, 2 unreadable or bad usage), and no stack trace ever reaches the terminal.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../src/store/database.ts";
import { parseMasterKey } from "../src/tenants/secret-box.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { cliRunner } from "./cli-process.ts";
import { SELLER_A } from "./harness.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir("raseed-cli-archive-");
const masterKey = "22".repeat(32);
const env = { ...process.env, RASEED_MASTER_KEY: masterKey };

const run = cliRunner({ env });
const raseed = (...args: string[]) => run(args);

beforeAll(async () => {
  const store = await openStore({ db: join(dir.path, "raseed.db"), dataDir: dir.path });
  await addTenant(store.db, parseMasterKey(masterKey), {
    ...SELLER_A,
    environment: "sandbox",
    fbrToken: SELLER_A.token,
  });
  await store.close();
});
afterAll(() => dir.remove());

describe("raseed archive", () => {
  // Each spawn loads the CLI from TypeScript source (a few seconds on a busy machine), hence the timeout.
  it("exports a signed archive and verifies it: exit 0 intact, 1 damaged, 2 unreadable or bad dates", {
    timeout: 240_000,
  }, () => {
    const out = join(dir.path, "2026-11.jsonl");
    const exported = raseed(
      "archive",
      "export",
      "--tenant",
      "7000007",
      "--from",
      "2026-11-01",
      "--to",
      "2026-11-30",
      "--out",
      out,
      "--data-dir",
      dir.path,
    );
    expect(exported.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(exported.status).toBe(0);
    expect(exported.stdout).toMatch(
      /2026-11\.jsonl: 0 invoices, 2 entries, \d+ bytes, signed by key [0-9a-f]{16}/,
    );

    const intact = raseed("archive", "verify", out);
    expect(intact.status).toBe(0);
    expect(intact.stdout).toMatch(/^intact {2}.*7000007 2026-11-01\.\.2026-11-30, 0 invoices/);

    const lines = readFileSync(out, "utf8").split("\n");
    const damaged = join(dir.path, "damaged.jsonl");
    writeFileSync(damaged, [lines[0]?.replace("Demo Traders", "Demo Trader$"), ...lines.slice(1)].join("\n"));
    const found = raseed("archive", "verify", damaged);
    expect(found.status).toBe(1);
    expect(found.stdout).toContain("DAMAGED archive.json: content does not match the manifest's SHA-256");

    writeFileSync(join(dir.path, "garbage.jsonl"), "\u0000\u0001 not an archive");
    const unreadable = raseed("archive", "verify", join(dir.path, "garbage.jsonl"));
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toMatch(/unreadable: not a Raseed archive/);
    expect(unreadable.stderr).not.toMatch(/\n\s+at /);

    const badDates = raseed(
      "archive",
      "export",
      "--tenant",
      "7000007",
      "--from",
      "1 Nov",
      "--to",
      "2026-11-30",
      "--out",
      join(dir.path, "x.jsonl"),
      "--data-dir",
      dir.path,
    );
    expect(badDates.status).toBe(2);
    expect(badDates.stderr).toBe("raseed: --from and --to must be dates written YYYY-MM-DD\n");
  });
});
