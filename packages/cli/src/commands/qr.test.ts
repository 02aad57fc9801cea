import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../program.ts";
import { runQrCommand } from "./qr.ts";

const BIN = resolve(import.meta.dirname, "../../bin/raseed.js");
const dir = mkdtempSync(join(tmpdir(), "raseed-qr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function raseed(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** In-process run with real file writes; spawning costs seconds per case, so only a few cases spawn. */
async function run(text: string, out: string, sizeIn = "1.0", dpi = "300") {
  let stdout = "";
  let stderr = "";
  const status = await runQrCommand(
    text,
    { out, sizeIn, dpi },
    {
      stdout: (line) => {
        stdout += line;
      },
      stderr: (line) => {
        stderr += line;
      },
      writeFile: (path, data) => writeFileSync(path, data),
    },
  );
  return { status, stdout, stderr };
}

describe("raseed qr (spawned)", () => {
  it("writes an SVG and a PNG at the requested size", () => {
    const svgPath = join(dir, "invoice.svg");
    const svg = raseed("qr", "7000007DI1747119701593", "--out", svgPath);
    expect(svg.stderr).toBe("");
    expect(svg.status).toBe(0);
    expect(svg.stdout).toContain("QR version 2 (25×25), alphanumeric mode, error correction Q");
    expect(readFileSync(svgPath, "utf8")).toMatch(/width="1in" height="1in" viewBox="0 0 33 33"/);

    const pngPath = join(dir, "invoice.PNG");
    const png = raseed(
      "qr",
      "6110180871403DIAJGEJ4031308",
      "--out",
      pngPath,
      "--size-in",
      "0.75",
      "--dpi",
      "400",
    );
    expect(png.status).toBe(0);
    const bytes = readFileSync(pngPath);
    expect(bytes.toString("latin1", 12, 16)).toBe("IHDR");
    expect(bytes.readUInt32BE(16)).toBe(300);
    expect(bytes.readUInt32BE(20)).toBe(300);
  });

  it.each([
    [
      ["qr", "A".repeat(60), "--out", join(dir, "b.svg")],
      /^raseed qr: .*at most 47 characters in alphanumeric mode, got 60\n$/,
    ],
    [["qr", "7000007DI1747119701593"], /^error: required option '--out <file>' not specified\n/],
  ])("exits 2 with one line, no stack trace, for %j", (args, message) => {
    const result = raseed(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("raseed qr (in process)", () => {
  it.each([
    [
      "unknown extension",
      "7000007DI1747119701593",
      "a.jpg",
      "1.0",
      "300",
      /^raseed qr: --out must end in \.svg or \.png/,
    ],
    ["no extension", "7000007DI1747119701593", "qr", "1.0", "300", /--out must end in \.svg or \.png/],
    [
      "unwritable path",
      "7000007DI1747119701593",
      join("no-such-dir", "c.svg"),
      "1.0",
      "300",
      /cannot write .* \(ENOENT\)/,
    ],
    [
      "dpi not a number",
      "7000007DI1747119701593",
      "d.png",
      "1.0",
      "abc",
      /--dpi must be a number above 0, got "abc"/,
    ],
    ["size zero", "7000007DI1747119701593", "d.png", "0", "300", /--size-in must be a number above 0/],
    ["too few pixels", "7000007DI1747119701593", "e.png", "1.0", "10", /needs at least 33 px/],
    ["byte text too long", "x".repeat(40), "f.svg", "1.0", "300", /at most 32 bytes in byte mode/],
  ])("%s → exit 2 with one line", async (_name, text, out, sizeIn, dpi, message) => {
    const result = await run(text, join(dir, out), sizeIn, dpi);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("reports what it wrote", async () => {
    const out = join(dir, "ok.png");
    const result = await run("7000007DI1747119701593", out, "1", "203");
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout).toContain("203 px (1 in at 203 dpi)");
    expect(readFileSync(out).readUInt32BE(16)).toBe(203);
  });

  it("has help text for the command and its options", async () => {
    const command = (await buildProgram()).commands.find((entry) => entry.name() === "qr");
    const help = command?.helpInformation() ?? "";
    expect(help).toContain("version 2, 25x25");
    expect(help).toContain("--size-in <inches>");
    expect(help).toContain("--dpi <dots>");
  });
});
