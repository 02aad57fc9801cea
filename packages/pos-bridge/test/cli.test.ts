// `raseed pos-bridge`, `raseed pos-bridge status` and `raseed pos-bridge reconcile` as a user runs them.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { journalPath, SaleJournal } from "../src/index.ts";
import { tempDir } from "./helpers.ts";

const entry = fileURLToPath(new URL("./fixtures/pos-bridge-command.ts", import.meta.url));
const dirs: ReturnType<typeof tempDir>[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

function raseed(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@raseed/source", "--import", "tsx", entry, ...args],
      {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("exit", (code) => resolve({ code, out, err }));
  });
}

/** A journal with one accepted, one pending and one in-doubt sale, as a bridge would leave it. */
function journalWithSales(): string {
  const dir = tempDir("raseed-cli-");
  dirs.push(dir);
  const journal = new SaleJournal(journalPath(dir.path));
  const now = Date.now();
  const accepted = journal.recordSale(110014, "U-OK", "{}", now).sale;
  journal.settleAccepted(
    accepted.id,
    journal.claimForUpload(accepted.id, now) as number,
    "FBR-111",
    { outcome: "accepted" },
    now,
  );
  journal.recordSale(110014, "U-WAIT", "{}", now);
  const doubtful = journal.recordSale(110014, "U-DOUBT", "{}", now).sale;
  journal.markInDoubt(
    doubtful.id,
    journal.claimForUpload(doubtful.id, now) as number,
    { outcome: "in_doubt", reason: "timeout" },
    now,
  );
  // FBR accepted this one but the settle was lost (disk full): the attempt kept the fiscal number.
  const lost = journal.recordSale(110014, "U-LOST", "{}", now).sale;
  journal.recordAttemptAnswer(
    journal.claimForUpload(lost.id, now) as number,
    { outcome: "accepted", reason: "FBR accepted it with fiscal number FBR-333" },
    now,
  );
  journal.recoverAfterRestart(now);
  void journal.close(); // no checkpoint thread: closed before it returns
  return dir.path;
}

// Each case spawns the CLI from TypeScript source (8-15 s a spawn on a loaded 2-core machine): a ceiling,
// not a speed claim.
describe("raseed pos-bridge", { timeout: 180_000 }, () => {
  it("prints help for the bridge and both subcommands", async () => {
    const [bridge, status, reconcile] = await Promise.all([
      raseed(["pos-bridge", "--help"]),
      raseed(["pos-bridge", "status", "--help"]),
      raseed(["pos-bridge", "reconcile", "--help"]),
    ]);
    for (const help of [bridge, status, reconcile]) {
      expect(help.code).toBe(0);
      expect(help.out).toMatch(/^Usage: raseed pos-bridge/);
    }
    for (const word of [
      "--port",
      "--host",
      "--data-dir",
      "--config",
      "--pos-id",
      "--token",
      "--env",
      "--upstream",
      "--api-key",
      "--fbr-url",
      "status",
      "reconcile",
    ]) {
      expect(bridge.out).toContain(word);
    }
    expect(status.out).toContain("--usin");
    expect(reconcile.out).toContain("--fbr-number");
    expect(reconcile.out).toContain("--resend");
  });

  it.each([
    [["pos-bridge", "--data-dir", "/tmp/raseed-none"], /no till configured/],
    [
      ["pos-bridge", "--pos-id", "1", "--token", "t", "--env", "staging"],
      /--env must be sandbox or production/,
    ],
    [
      ["pos-bridge", "--pos-id", "1", "--upstream", "http://127.0.0.1:1"],
      /a gateway upstream needs an API key/,
    ],
    [["pos-bridge", "--bogus"], /unknown option/],
    [["pos-bridge", "status", "--data-dir", "/tmp/raseed-no-such-dir"], /no pos-bridge journal/],
    [["pos-bridge", "reconcile", "--resend"], /need --usin/],
  ])("refuses %j with exit 2 and one line", async (args, reason) => {
    const result = await raseed(args as string[]);
    // The whole result in the message: a failure on a loaded CI machine should say what happened.
    expect(result.code, JSON.stringify(result)).toBe(2);
    expect(result.err).toMatch(reason as RegExp);
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it("never echoes the token in an error", async () => {
    const result = await raseed(["pos-bridge", "--pos-id", "x", "--token", "secret-token-value"]);
    // The whole result in the message: a failure on a loaded CI machine should say what happened.
    expect(result.code, JSON.stringify(result)).toBe(2);
    expect(result.err).toMatch(/--pos-id must be a whole number/);
    expect(result.err).not.toContain("secret-token-value");
  });

  it("status shows the journal and one sale by USIN", async () => {
    const dataDir = journalWithSales();
    const status = await raseed(["pos-bridge", "status", "--data-dir", dataDir]);
    expect(status.code).toBe(0);
    expect(status.out).toContain("accepted 1");
    expect(status.out).toContain("pending 1");
    expect(status.out).toContain("in_doubt 2");
    expect(status.out).toMatch(/USIN U-DOUBT: in doubt/);
    const text = await raseed(["pos-bridge", "status", "--data-dir", dataDir, "--usin", "U-OK"]);
    expect(text.out).toContain("accepted by FBR, fiscal number FBR-111");
    expect(text.out).not.toMatch(/FBR FBR/);
    const one = await raseed(["pos-bridge", "status", "--data-dir", dataDir, "--usin", "U-OK", "--json"]);
    expect(JSON.parse(one.out)).toMatchObject([
      { usin: "U-OK", state: "accepted", fbrInvoiceNumber: "FBR-111" },
    ]);
  });

  it("reconcile lists sales in doubt, records FBR's number or queues a sale again", async () => {
    const dataDir = journalWithSales();
    const list = await raseed(["pos-bridge", "reconcile", "--data-dir", dataDir]);
    expect(list.code).toBe(0);
    expect(list.out).toContain("2 sale(s) in doubt");
    expect(list.out).toContain("U-DOUBT");
    // A fiscal number FBR gave in an attempt whose settle was lost is shown, ready for --fbr-number.
    expect(list.out).toMatch(/U-LOST: .*fiscal number FBR-333/);
    const listed = await raseed(["pos-bridge", "reconcile", "--data-dir", dataDir, "--json"]);
    expect(JSON.parse(listed.out)).toContainEqual(
      expect.objectContaining({ usin: "U-LOST", fiscalNumberInAttempts: "FBR-333" }),
    );
    const notInDoubt = await raseed([
      "pos-bridge",
      "reconcile",
      "--data-dir",
      dataDir,
      "--usin",
      "U-WAIT",
      "--resend",
    ]);
    expect(notInDoubt.code).toBe(2);
    const settle = await raseed([
      "pos-bridge",
      "reconcile",
      "--data-dir",
      dataDir,
      "--usin",
      "U-DOUBT",
      "--fbr-number",
      "11001420250101000222",
    ]);
    expect(settle.code).toBe(0);
    const journal = new SaleJournal(journalPath(dataDir));
    expect(journal.findSale(110014, "U-DOUBT")).toMatchObject({
      state: "accepted",
      fbrInvoiceNumber: "11001420250101000222",
    });
    await journal.close();
  });
});
