import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { InvalidOptionError, QrCapacityError } from "../errors/classes.ts";
import { FBR_QR_CAPACITY, fbrQrMatrix, renderFbrQrPng, renderFbrQrSvg } from "./index.ts";

const DI_22 = "7000007DI1747119701593"; // spec v1.12 sample number
const DI_27 = "6110180871403DIAJGEJ4031308"; // 2026 live shape
const DI_28 = "7000007DI1747119701593-1234"; // 28 characters, still alphanumeric
const IMS_20 = "11000120181112000369";

interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  pixelsPerMetre?: number;
  pixels: Buffer;
}

/** Reads IHDR, pHYs and the inflated IDAT rows (filter 0 only, which is all renderFbrQrPng asks pngjs for). */
function readPng(png: Buffer): PngInfo {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let info: Partial<PngInfo> = {};
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      info = {
        ...info,
        width: data.readUInt32BE(0),
        height: data.readUInt32BE(4),
        bitDepth: data.readUInt8(8),
        colourType: data.readUInt8(9),
      };
    }
    if (type === "pHYs") info.pixelsPerMetre = data.readUInt32BE(0);
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  return { ...(info as PngInfo), pixels: inflateSync(Buffer.concat(idat)) };
}

function pixel(info: PngInfo, x: number, y: number): number {
  return info.pixels[y * (info.width + 1) + 1 + x] as number;
}

describe("fbrQrMatrix", () => {
  it.each([
    ["22-char DI number", DI_22],
    ["27-char 2026 DI number", DI_27],
    ["28-char DI number", DI_28],
    ["IMS fiscal number", IMS_20],
  ])("a %s is version 2, 25×25, alphanumeric at Q", (_name, text) => {
    const matrix = fbrQrMatrix(text);
    expect(matrix).toMatchObject({ version: 2, size: 25, mode: "alphanumeric", errorCorrectionLevel: "Q" });
    expect(matrix.modules).toHaveLength(25);
    // The same symbol the qrcode package builds for those exact choices.
    const reference = QRCode.create([{ mode: "alphanumeric", data: text }], {
      version: 2,
      errorCorrectionLevel: "Q",
    });
    expect(reference.version).toBe(2);
    expect(reference.modules.size).toBe(25);
    expect(reference.segments.map((segment) => segment.mode.id)).toEqual(["Alphanumeric"]);
    expect(matrix.modules.flat().map(Number)).toEqual([...reference.modules.data]);
  });

  it("steps down to M and L as the text grows, and names the limit beyond L", () => {
    expect(fbrQrMatrix("A".repeat(30)).errorCorrectionLevel).toBe("M");
    expect(fbrQrMatrix("A".repeat(39)).errorCorrectionLevel).toBe("L");
    expect(fbrQrMatrix("A".repeat(47)).errorCorrectionLevel).toBe("L");
    expect(() => fbrQrMatrix("A".repeat(48))).toThrow(QrCapacityError);
    expect(() => fbrQrMatrix("A".repeat(48))).toThrow(/at most 47 characters in alphanumeric mode, got 48/);
  });

  it("uses byte mode for text outside the alphanumeric set, with byte limits", () => {
    // FBR-SPEC §10: in byte mode a 28-character number fits only at L.
    const lower = "7000007di1747119701593-1234";
    const matrix = fbrQrMatrix(lower);
    expect(matrix).toMatchObject({ mode: "byte", errorCorrectionLevel: "L", size: 25 });
    expect(fbrQrMatrix("7000007di1747119701593").errorCorrectionLevel).toBe("M");
    const reference = QRCode.create([{ mode: "byte", data: Buffer.from(lower) }], {
      version: 2,
      errorCorrectionLevel: "L",
    });
    expect(reference.segments.map((segment) => segment.mode.id)).toEqual(["Byte"]);
    expect(fbrQrMatrix("abc").errorCorrectionLevel).toBe("Q");
    let error: unknown;
    try {
      fbrQrMatrix("x".repeat(FBR_QR_CAPACITY.byte.L + 1));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QrCapacityError);
    expect(error).toMatchObject({ maxLength: 32, length: 33 });
    expect((error as Error).message).toMatch(/at most 32 bytes in byte mode/);
  });

  it("honours a forced level and refuses an empty text", () => {
    expect(fbrQrMatrix(IMS_20, { errorCorrectionLevel: "H" }).errorCorrectionLevel).toBe("H");
    expect(() => fbrQrMatrix(DI_22, { errorCorrectionLevel: "H" })).toThrow(
      /at most 20 characters .* at level H/,
    );
    expect(() => fbrQrMatrix("")).toThrow(InvalidOptionError);
  });
});

describe("renderFbrQrSvg", () => {
  it("is 1 inch square by default with a 33-unit viewBox (25 modules + 4-module quiet zone each side)", () => {
    const svg = renderFbrQrSvg(DI_22);
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1in" height="1in" viewBox="0 0 33 33"/,
    );
    // Every dark module is drawn: the path's areas add up to the matrix's dark count.
    const path = /<path fill="#000000" d="([^"]*)"/.exec(svg)?.[1] ?? "";
    const runs = [...path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)];
    const area = runs.reduce((sum, run) => sum + Number(run[3]), 0);
    const dark = fbrQrMatrix(DI_22).modules.flat().filter(Boolean).length;
    expect(area).toBe(dark);
    for (const run of runs) {
      expect(Number(run[1])).toBeGreaterThanOrEqual(4);
      expect(Number(run[2])).toBeLessThan(29);
    }
  });

  it("takes a physical size and escapes the label", () => {
    expect(renderFbrQrSvg(DI_22, { sizeInches: 0.7 })).toContain('width="0.7in" height="0.7in"');
    expect(renderFbrQrSvg('a<b>&"')).toContain('aria-label="QR code: a&#60;b&#62;&#38;&#34;"');
    expect(() => renderFbrQrSvg(DI_22, { sizeInches: 0 })).toThrow(InvalidOptionError);
  });
});

describe("renderFbrQrPng", () => {
  it("is round(size × dpi) pixels, records the DPI, and has whole-pixel modules", async () => {
    const png = await renderFbrQrPng(DI_22, { sizeInches: 1, dpi: 300 });
    const info = readPng(png);
    expect(info).toMatchObject({ width: 300, height: 300, bitDepth: 8, colourType: 0 });
    expect(info.pixelsPerMetre).toBe(Math.round(300 / 0.0254));
    // scale = floor(300 / 33) = 9; the symbol is 225 px, centred: offset 37.
    const matrix = fbrQrMatrix(DI_22);
    for (let row = 0; row < 25; row++) {
      for (let col = 0; col < 25; col++) {
        const expected = matrix.modules[row]?.[col] ? 0 : 255;
        expect(pixel(info, 37 + col * 9 + 4, 37 + row * 9 + 4)).toBe(expected);
      }
    }
    // The quiet zone is white.
    for (let i = 0; i < 300; i += 7) {
      expect(pixel(info, i, 0)).toBe(255);
      expect(pixel(info, 0, i)).toBe(255);
      expect(pixel(info, i, 299)).toBe(255);
    }
  });

  it.each([
    [1, 203, 203],
    [0.5, 600, 300],
    [7 / 25.4, 203, 56],
  ])("%s in at %s dpi is %s px", async (sizeInches, dpi, expected) => {
    const info = readPng(await renderFbrQrPng(DI_28, { sizeInches, dpi }));
    expect(info.width).toBe(expected);
    expect(info.height).toBe(expected);
  });

  it("is a well-formed PNG to a strict decoder (the inserted pHYs chunk's CRC included)", async () => {
    // pngjs checks every chunk's CRC while reading, so a wrong pHYs CRC fails here.
    const { PNG } = createRequire(import.meta.url)("pngjs") as {
      PNG: { sync: { read(png: Buffer): { width: number; height: number; data: Buffer } } };
    };
    const decoded = PNG.sync.read(await renderFbrQrPng(DI_22, { sizeInches: 124 / 300, dpi: 300 }));
    expect([decoded.width, decoded.height]).toEqual([124, 124]);
    // 124 px: scale floor(124 / 33) = 3, symbol 75 px, offset floor(49 / 2) = 24; RGBA when decoded.
    const matrix = fbrQrMatrix(DI_22);
    for (let row = 0; row < 25; row++) {
      for (let col = 0; col < 25; col++) {
        const index = ((24 + row * 3 + 1) * 124 + (24 + col * 3 + 1)) * 4;
        expect(decoded.data[index]).toBe(matrix.modules[row]?.[col] ? 0 : 255);
      }
    }
  });

  it("refuses sizes too small to draw and texts too long to fit", async () => {
    await expect(renderFbrQrPng(DI_22, { sizeInches: 0.1, dpi: 100 })).rejects.toThrow(
      /needs at least 33 px/,
    );
    await expect(renderFbrQrPng("9".repeat(60))).rejects.toThrow(QrCapacityError);
  });
});
