import { writeFileSync } from "node:fs";
import { extname } from "node:path";
import { fbrQrMatrix, RaseedError, renderFbrQrPng, renderFbrQrSvg } from "@raseed/sdk";
import type { Command } from "commander";

/** Exit codes: 0 written, 2 usage error (bad option, unknown extension, too long text, unwritable path). */
export const QR_EXIT = { written: 0, usage: 2 } as const;

export interface QrCommandOptions {
  out: string;
  sizeIn: string;
  dpi: string;
}

export interface QrCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  writeFile: (path: string, data: string | Buffer) => void;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

function positiveNumber(name: string, raw: string): number | string {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value <= 0)
    return `${name} must be a number above 0, got "${raw}"`;
  return value;
}

/**
 * Writes the FBR QR code for `text` to `options.out` (SVG or PNG by extension); returns the exit code.
 * Every failure is one line on stderr and exit 2: this command has no "invalid" outcome of its own.
 */
export async function runQrCommand(
  text: string,
  options: QrCommandOptions,
  io: QrCommandIo,
): Promise<number> {
  const fail = (reason: string) => {
    io.stderr(`raseed qr: ${reason}\n`);
    return QR_EXIT.usage;
  };
  const extension = extname(options.out).toLowerCase();
  if (extension !== ".svg" && extension !== ".png") {
    return fail(`--out must end in .svg or .png, got "${options.out}"`);
  }
  const sizeInches = positiveNumber("--size-in", options.sizeIn);
  if (typeof sizeInches === "string") return fail(sizeInches);
  const dpi = positiveNumber("--dpi", options.dpi);
  if (typeof dpi === "string") return fail(dpi);

  let data: string | Buffer;
  let summary: string;
  try {
    const matrix = fbrQrMatrix(text);
    summary = `QR version ${matrix.version} (${matrix.size}×${matrix.size}), ${matrix.mode} mode, error correction ${matrix.errorCorrectionLevel}`;
    if (extension === ".svg") {
      data = renderFbrQrSvg(text, { sizeInches, dpi });
      summary += `, ${sizeInches} in`;
    } else {
      data = await renderFbrQrPng(text, { sizeInches, dpi });
      summary += `, ${Math.round(sizeInches * dpi)} px (${sizeInches} in at ${dpi} dpi)`;
    }
  } catch (error) {
    // QrCapacityError and option errors carry a complete, user-facing sentence.
    return fail(error instanceof RaseedError ? error.message : oneLine(error));
  }
  try {
    io.writeFile(options.out, data);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return fail(
      `cannot write ${options.out}${typeof code === "string" ? ` (${code})` : ""}: ${oneLine(error)}`,
    );
  }
  io.stdout(`${options.out}: ${summary}\n`);
  return QR_EXIT.written;
}

/** Registers `raseed qr`. */
export function registerQrCommand(program: Command): void {
  program
    .command("qr")
    .description(
      "Write the QR code FBR requires on an invoice (version 2, 25x25, 1.0 inch) for an FBR invoice number, as SVG or PNG",
    )
    .argument("<text>", "the FBR invoice number to encode, e.g. 7000007DI1747119701593")
    .requiredOption("--out <file>", "output file; the format comes from the extension: .svg or .png")
    .option("--size-in <inches>", "printed edge length in inches, quiet zone included", "1.0")
    .option("--dpi <dots>", "print resolution; sets the PNG's pixel width (size x dpi)", "300")
    .addHelpText(
      "after",
      "\nExit status: 0 written, 2 usage error (unknown extension, text too long for version 2, unwritable path).\n" +
        "Example: raseed qr 7000007DI1747119701593 --out invoice-qr.png --dpi 203",
    )
    // Usage errors exit 2 with commander's one-line message (never a stack trace); help exits 0.
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : QR_EXIT.usage);
    })
    .action(async (text: string, raw: QrCommandOptions) => {
      process.exitCode = await runQrCommand(text, raw, {
        stdout: (line) => process.stdout.write(line),
        stderr: (line) => process.stderr.write(line),
        writeFile: (path, data) => writeFileSync(path, data),
      });
    });
}
