import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { runValidateCommand, type ValidateCommandOptions } from "./validate.ts";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const bases = JSON.parse(
  readFileSync(join(repoRoot, "packages/sdk/src/validation/vectors/bases.json"), "utf8"),
) as Record<string, Record<string, unknown>>;

let dir = "";
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "raseed-validate-"));
  writeFileSync(file("good.json"), JSON.stringify(bases["di-sale"]));
  const bad = structuredClone(bases["di-sale"]) as { invoiceType: string; items: Record<string, unknown>[] };
  bad.invoiceType = "Credit Note";
  (bad.items[1] as Record<string, unknown>).rate = "17%";
  writeFileSync(file("bad.json"), JSON.stringify(bad));
  writeFileSync(file("ims.json"), JSON.stringify(bases["ims-sale"]));
  writeFileSync(file("broken.json"), '{"invoiceType": ');
  // Windows editors (Notepad) save UTF-8 with a byte-order mark.
  writeFileSync(file("bom.json"), `\uFEFF${JSON.stringify(bases["di-sale"])}`);
  const sandboxOnly = structuredClone(bases["di-sale"]);
  writeFileSync(file("no-scenario.json"), JSON.stringify(sandboxOnly));
});

function runInProcess(files: string[], options: Partial<ValidateCommandOptions> = {}) {
  let stdout = "";
  let stderr = "";
  const code = runValidateCommand(
    files,
    { kind: "di", sandbox: false, json: false, ...options },
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      readFile: (path) => readFileSync(path, "utf8"),
      now: new Date("2025-06-01T12:00:00Z"),
    },
  );
  return { code, stdout, stderr };
}

describe("runValidateCommand", () => {
  it("exits 0 and says what FBR will still check on a valid invoice", () => {
    const run = runInProcess([file("good.json")]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      `${file("good.json")}: valid, FBR will still check: buyer-registration, hs-code-exists`,
    );
    expect(lines[2]).toMatch(
      /^ {2}hs-code-exists \(0052\): FBR checks that 0101\.2100, 8471\.3010 are HS codes/,
    );
    expect(lines[1]).toMatch(
      /^ {2}buyer-registration \(0053\): FBR checks that buyer "2046004" is Registered/,
    );
  });

  it("says plainly valid when nothing is left to FBR (IMS has no FBR-only rules)", () => {
    expect(runInProcess([file("ims.json")], { kind: "ims" })).toEqual({
      code: 0,
      stdout: `${file("ims.json")}: valid\n`,
      stderr: "",
    });
  });

  it("warns, and still exits 0, for an invoice dated today before 05:00 Pakistan time (FBR's UTC day)", () => {
    const early = structuredClone(bases["di-sale"]) as Record<string, unknown>;
    early.invoiceDate = "2025-06-02";
    writeFileSync(file("early.json"), JSON.stringify(early));
    const at = (iso: string) =>
      runValidateCommand(
        [file("early.json")],
        { kind: "di", sandbox: false, json: true },
        {
          stdout: (text) => {
            output = text;
          },
          stderr: () => {},
          readFile: (path) => readFileSync(path, "utf8"),
          now: new Date(iso),
        },
      );
    let output = "";
    expect(at("2025-06-01T21:00:00Z")).toBe(0); // 02:00 PKT on 2 June
    const before = JSON.parse(output) as {
      verdict: string;
      fbrWillCheck: { rule: string; codes: string[] }[];
    }[];
    expect(before[0]?.verdict).toBe("valid-fbr-will-check");
    expect(before[0]?.fbrWillCheck).toContainEqual(
      expect.objectContaining({ rule: "invoice-date-utc-day", codes: ["0043"] }),
    );
    expect(at("2025-06-02T00:00:00Z")).toBe(0); // 05:00 PKT
    const after = JSON.parse(output) as { fbrWillCheck: { rule: string }[] }[];
    expect(after[0]?.fbrWillCheck.map((check) => check.rule)).not.toContain("invoice-date-utc-day");
  });

  it("lists every problem with code, item, field, message and fix, and exits 1", () => {
    const run = runInProcess([file("good.json"), file("bad.json")]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${file("bad.json")}: invalid, 2 problems`);
    expect(run.stdout).toMatch(/0003 {2}header {2}invoiceType: invoiceType "Credit Note"/);
    expect(run.stdout).toMatch(/0046 {2}item 2 {2}rate: rate "17%"/);
    expect(run.stdout).toMatch(/fix: Use a rate that SaleTypeToRate lists/);
  });

  it("--json prints [{ file, valid, verdict, fbrWillCheck, errors: [{ code, item, field, message }] }]", () => {
    const run = runInProcess([file("good.json"), file("bad.json")], { json: true });
    expect(run.code).toBe(1);
    const reports = JSON.parse(run.stdout) as unknown[];
    expect(reports).toEqual([
      {
        file: file("good.json"),
        form: "payload",
        valid: true,
        verdict: "valid-fbr-will-check",
        fbrWillCheck: [
          { rule: "buyer-registration", codes: ["0053"], message: expect.stringContaining("2046004") },
          { rule: "hs-code-exists", codes: ["0052"], message: expect.stringContaining("0101.2100") },
        ],
        errors: [],
      },
      {
        file: file("bad.json"),
        form: "payload",
        valid: false,
        verdict: "invalid",
        fbrWillCheck: expect.any(Array),
        errors: [
          { code: "0003", item: null, field: "invoiceType", message: expect.stringContaining("Credit Note") },
          { code: "0046", item: 2, field: "rate", message: expect.stringContaining("17%") },
        ],
      },
    ]);
  });

  it("reads the gateway's envelopes: { externalRef, invoice } as FBR's payload, { draft } built first", () => {
    const draft = {
      date: "2025-05-25",
      buyer: {
        ntnCnic: "2046004",
        businessName: "FERTILIZER MANUFAC IRS NEW",
        province: "Sindh",
        address: "Karachi",
        registrationType: "Registered",
      },
      lines: [
        {
          hsCode: "0101.2100",
          description: "Widget",
          uoM: "Numbers, pieces, units",
          quantity: "3",
          unitPrice: "250.50",
          saleType: "Goods at standard rate (default)",
          rate: "18%",
        },
      ],
    };
    const bad = JSON.parse(readFileSync(file("bad.json"), "utf8")) as unknown;
    writeFileSync(
      file("envelope-good.json"),
      JSON.stringify({ externalRef: "ERP-1", invoice: bases["di-sale"] }),
    );
    writeFileSync(file("envelope-bad.json"), JSON.stringify({ externalRef: "ERP-2", invoice: bad }));
    writeFileSync(file("draft-good.json"), JSON.stringify({ externalRef: "ERP-3", draft }));
    const badLines = [draft.lines[0], { ...draft.lines[0], quantity: "lots" }];
    writeFileSync(file("draft-bad.json"), JSON.stringify({ draft: { ...draft, lines: badLines } }));
    writeFileSync(file("bad-ref.json"), JSON.stringify({ externalRef: "", invoice: bases["di-sale"] }));
    const run = runInProcess(
      ["envelope-good.json", "envelope-bad.json", "draft-good.json", "draft-bad.json", "bad-ref.json"].map(
        file,
      ),
      { json: true },
    );
    expect(run.code).toBe(1);
    const reports = JSON.parse(run.stdout) as {
      form: string;
      valid: boolean;
      errors: { code: string; field: string }[];
    }[];
    expect(reports.map((r) => [r.form, r.valid])).toEqual([
      ["invoice", true],
      ["invoice", false],
      ["draft", true],
      ["draft", false],
      ["invoice", false],
    ]);
    // The envelope's invoice is judged as FBR's payload, not as a draft.
    expect(reports[1]?.errors.map((e) => e.code)).toEqual(["0003", "0046"]);
    // A bad draft line is named as the gateway names it.
    expect(reports[3]?.errors).toEqual([
      expect.objectContaining({ code: "invalid_draft", field: "quantity" }),
    ]);
    expect(reports[4]?.errors).toEqual([
      expect.objectContaining({ code: "bad_request", field: "externalRef" }),
    ]);
    const text = runInProcess([file("draft-good.json")]);
    expect(text.stdout).toContain("draft-good.json (draft; seller from the tenant, not checked): valid");
  });

  it("--sandbox applies the scenario rules", () => {
    expect(runInProcess([file("no-scenario.json")]).code).toBe(0);
    const run = runInProcess([file("no-scenario.json")], { sandbox: true, json: true });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject([{ errors: [{ code: "0203", field: "scenarioId" }] }]);
  });

  it("--kind ims takes FBR's own documented IMS samples (dashed BuyerCNIC, ISO DateTime) as the bridge does", () => {
    const samples = JSON.parse(
      readFileSync(join(repoRoot, "spec/vectors/ims/fbr-documentation.json"), "utf8"),
    ) as { kbModel: Record<string, unknown> };
    writeFileSync(file("ims-kb.json"), JSON.stringify(samples.kbModel));
    writeFileSync(
      file("ims-kb-iso.json"),
      JSON.stringify({ ...samples.kbModel, DateTime: "2021-05-10T12:30:45.1234567+05:00" }),
    );
    const run = runInProcess([file("ims-kb.json"), file("ims-kb-iso.json")], { kind: "ims" });
    expect(run.stdout).toBe(`${file("ims-kb.json")}: valid\n${file("ims-kb-iso.json")}: valid\n`);
    expect(run.code).toBe(0);
  });

  it("--kind ims validates IMS invoices", () => {
    expect(runInProcess([file("ims.json")], { kind: "ims" }).code).toBe(0);
    expect(runInProcess([file("good.json")], { kind: "ims" }).code).toBe(1);
  });

  it("malformed JSON and unreadable files exit 2 with one line each, the rest still checked", () => {
    const run = runInProcess([file("broken.json"), file("missing.json"), file("good.json")]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/broken\.json: malformed JSON/);
    expect(lines[1]).toMatch(/missing\.json: cannot read it \(ENOENT/);
    expect(run.stdout.split("\n")[0]).toBe(
      `${file("good.json")}: valid, FBR will still check: buyer-registration, hs-code-exists`,
    );
  });

  it("reads a UTF-8 file that starts with a byte-order mark", () => {
    const run = runInProcess([file("bom.json")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^${file("bom.json").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: valid, `),
    );
  });

  it("--json lists unreadable and malformed files too, with a one-line error, and exits 2", () => {
    const run = runInProcess([file("broken.json"), file("missing.json"), file("good.json")], { json: true });
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as { file: string; valid: boolean; error?: string; errors: [] }[];
    expect(report.map((entry) => [entry.file, entry.valid])).toEqual([
      [file("broken.json"), false],
      [file("missing.json"), false],
      [file("good.json"), true],
    ]);
    expect(report[0]?.error).toMatch(/^malformed JSON \(/);
    expect(report[1]?.error).toMatch(/^cannot read it \(ENOENT/);
    for (const entry of report.slice(0, 2)) {
      expect(entry.errors).toEqual([]);
      expect(entry.error).not.toContain("\n");
    }
    expect(report[2]).toMatchObject({
      file: file("good.json"),
      valid: true,
      verdict: "valid-fbr-will-check",
      errors: [],
    });
  });
});

const execFileAsync = promisify(execFile);

async function raseed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync("node", ["packages/cli/bin/raseed.js", ...args], {
      cwd: repoRoot,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("node packages/cli/bin/raseed.js validate", () => {
  // Each spawn loads the whole CLI (about 2 s of CPU), so the cases are few and each covers much.
  it("prints the --json report for several files and exits 1 when any is invalid", async () => {
    const run = await raseed(["validate", "--json", file("good.json"), file("bad.json")]);
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject([
      { file: file("good.json"), valid: true, verdict: "valid-fbr-will-check", errors: [] },
      {
        file: file("bad.json"),
        valid: false,
        errors: [
          { code: "0003", item: null },
          { code: "0046", item: 2 },
        ],
      },
    ]);
  });

  it("exits 2 without a stack trace for malformed JSON, a bad --kind and a missing argument", async () => {
    const cases = [
      ["validate", file("broken.json")],
      ["validate", "--kind", "xml", file("good.json")],
      ["validate"],
    ];
    for (const args of cases) {
      const run = await raseed(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr.split("\n")[0]).toMatch(/^(raseed validate: |error: )/);
    }
  });
});
