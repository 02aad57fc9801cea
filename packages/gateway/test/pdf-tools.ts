// PDFs checked the way a reader sees them: text with poppler's pdftotext, pixels with pdftoppm, the QR
// decoded from those pixels by jsQR (which also reports the symbol's version). poppler-utils is a
// system package (.ci/run installs it); a missing tool fails with a clear message, never a skip.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import type { QRCode } from "jsqr";
import { tempDir } from "./helpers.ts";

const jsQR = createRequire(import.meta.url)("jsqr") as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => QRCode | null;

function run(tool: string, args: string[]): void {
  try {
    execFileSync(tool, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${tool} is not installed (Debian package poppler-utils)`);
    throw error;
  }
}

/** The PDF's text in reading layout (pdftotext -layout). */
export function pdfText(pdf: Buffer): string {
  const dir = tempDir("raseed-pdf-");
  try {
    writeFileSync(join(dir.path, "in.pdf"), pdf);
    run("pdftotext", ["-layout", join(dir.path, "in.pdf"), join(dir.path, "out.txt")]);
    return readFileSync(join(dir.path, "out.txt"), "utf8");
  } finally {
    dir.remove();
  }
}

export function pdfPageCount(pdf: Buffer): number {
  return (pdfText(pdf).match(/\f/g) ?? []).length;
}

/** Page 1 rendered in grey at `dpi` (pdftoppm -gray writes a binary PGM, read here without a library). */
export function renderPage(pdf: Buffer, dpi: number): { width: number; height: number; grey: Buffer } {
  const dir = tempDir("raseed-pdf-");
  try {
    writeFileSync(join(dir.path, "in.pdf"), pdf);
    run("pdftoppm", [
      "-gray",
      "-r",
      String(dpi),
      "-f",
      "1",
      "-l",
      "1",
      "-singlefile",
      join(dir.path, "in.pdf"),
      join(dir.path, "page"),
    ]);
    const pgm = readFileSync(join(dir.path, "page.pgm"));
    // "P5\n<width> <height>\n255\n" then one byte per pixel.
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString("latin1"));
    if (header === null) throw new Error("pdftoppm did not write a binary PGM");
    const width = Number(header[1]);
    const height = Number(header[2]);
    return { width, height, grey: pgm.subarray(header[0].length, header[0].length + width * height) };
  } finally {
    dir.remove();
  }
}

export interface DecodedQr {
  data: string;
  version: number;
  /** Printed width of the 25-module symbol (quiet zone excluded), from finder-pattern corners. */
  symbolInches: number;
}

/** Finds and decodes the QR on page 1, or null when the page has none. */
export function pdfQr(pdf: Buffer, dpi = 300): DecodedQr | null {
  const page = renderPage(pdf, dpi);
  const rgba = new Uint8ClampedArray(page.width * page.height * 4);
  for (let i = 0; i < page.width * page.height; i++) {
    const v = page.grey[i] ?? 255;
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  const found = jsQR(rgba, page.width, page.height);
  if (found === null) return null;
  const { topLeftCorner, topRightCorner } = found.location;
  const side = Math.hypot(topRightCorner.x - topLeftCorner.x, topRightCorner.y - topLeftCorner.y);
  return { data: found.data, version: found.version, symbolInches: side / dpi };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A small 8-bit greyscale PNG that is not a QR code: a stand-in for an operator's logo. */
export function stripedLogoPng(width = 120, height = 40): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(width + 1, 255);
    row[0] = 0; // filter: none
    for (let x = 0; x < width; x++) if ((x >> 3) % 2 === 0 && y > 4 && y < height - 4) row[x + 1] = 40;
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Images placed in the PDF (pdfimages -list prints two header lines, then one line per image). */
export function pdfImageCount(pdf: Buffer): number {
  const dir = tempDir("raseed-pdf-");
  try {
    writeFileSync(join(dir.path, "in.pdf"), pdf);
    let listing: string;
    try {
      listing = execFileSync("pdfimages", ["-list", join(dir.path, "in.pdf")], { encoding: "utf8" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        throw new Error("pdfimages is not installed (Debian package poppler-utils)");
      throw error;
    }
    // Soft masks (smask) belong to the image before them.
    return listing
      .split("\n")
      .slice(2)
      .filter((line) => /^\s*\d+\s+\d+\s+image\b/.test(line)).length;
  } finally {
    dir.remove();
  }
}
