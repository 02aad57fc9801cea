import { readFileSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";
import { normaliseImsInvoice, renderFbrQrPng } from "@raseed/sdk";
import { describe, expect, it } from "vitest";
import integrations from "../../../../spec/vectors/ims/pos-integrations.json" with { type: "json" };
import {
  buildReceiptLayout,
  FBR_VERIFY_STATEMENT,
  normaliseLogoPng,
  PngReadError,
  qrRaster,
  type ReceiptInput,
  readPngAsMonochrome,
  receiptLogoMarker,
  renderReceiptEscPos,
  renderReceiptPdf,
  renderReceiptText,
} from "./index.ts";

const golden = (name: string): string =>
  readFileSync(new URL(`../../test/golden/${name}`, import.meta.url), "utf8").replace(/\n$/, "");

function sale(): ReceiptInput["invoice"] {
  const decoded = normaliseImsInvoice(integrations.stringNumbersCamelCase);
  if (!decoded.ok) throw new Error("vector does not decode");
  return decoded.invoice;
}

const business = {
  businessName: "Demo Traders",
  address: "Shop 4, Tariq Road, Karachi",
  ntn: "7000007-1",
  strn: "3277876543210",
  taxOffice: "RTO Karachi",
  serviceFee: 1,
};
const FISCAL_NUMBER = "110014240315184207000123";

/** A PNG written by hand (8-bit, filter 0), so the reader is checked against an independent writer. */
function handWrittenPng(
  width: number,
  height: number,
  colorType: 0 | 6,
  pixel: (x: number, y: number) => number[],
): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "ascii"), body])));
    return Buffer.concat([length, Buffer.from(type, "ascii"), body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = colorType;
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push(...pixel(x, y));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Greyscale, dark left half. */
function greyPng(width: number, height: number): Buffer {
  return handWrittenPng(width, height, 0, (x) => [x < width / 2 ? 0 : 255]);
}

describe("receipt layout", () => {
  it("prints the SRO 1006(I)/2021 fields on a fiscal receipt", () => {
    const text = renderReceiptText(
      buildReceiptLayout({
        invoice: sale(),
        fiscalInvoiceNumber: FISCAL_NUMBER,
        business,
        amountReceived: 1200,
      }),
    );
    expect(text).toBe(golden("receipt-fiscal.txt"));
    expect(text.replace(/\s+/g, " ")).toContain(FBR_VERIFY_STATEMENT);
  });

  it("says a provisional receipt was issued offline and shows no FBR number, logo or QR", () => {
    const lines = buildReceiptLayout({ invoice: sale(), fiscalInvoiceNumber: null, business });
    const text = renderReceiptText(lines);
    expect(text).toBe(golden("receipt-provisional.txt"));
    expect(lines.some((line) => line.kind === "qr" || line.kind === "logo")).toBe(false);
    expect(text).not.toContain("Tax Asaan");
  });
});

describe("renderers", () => {
  it("writes ESC/POS: initialise, the text, QR and logo rasters, then feed and cut", async () => {
    const bytes = await renderReceiptEscPos(
      { invoice: sale(), fiscalInvoiceNumber: FISCAL_NUMBER, business },
      { logoPng: greyPng(40, 10) },
    );
    expect([...bytes.subarray(0, 2)]).toEqual([0x1b, 0x40]);
    expect([...bytes.subarray(-3)]).toEqual([0x1d, 0x56, 0x01]);
    const ascii = bytes.toString("latin1");
    expect(ascii).toContain(FISCAL_NUMBER);
    expect(ascii).toContain("Verify this invoice through FBR Tax Asaan");
    // Two GS v 0 rasters: the logo (40 dots = 5 bytes wide, 10 high) and the QR.
    const marker = Buffer.from([0x1d, 0x76, 0x30, 0x00]);
    const rasters: number[] = [];
    for (let at = bytes.indexOf(marker); at !== -1; at = bytes.indexOf(marker, at + 1)) rasters.push(at);
    expect(rasters).toHaveLength(2);
    const logoAt = rasters[0] as number;
    expect([...bytes.subarray(logoAt + 4, logoAt + 8)]).toEqual([5, 0, 10, 0]);
    // First logo row: left half dark = 20 dots = 0xff 0xff 0xf0 0x00 0x00.
    expect([...bytes.subarray(logoAt + 8, logoAt + 13)]).toEqual([0xff, 0xff, 0xf0, 0x00, 0x00]);
  });

  it("writes a one-page PDF 80 mm wide with the QR image", async () => {
    const pdf = await renderReceiptPdf({ invoice: sale(), fiscalInvoiceNumber: FISCAL_NUMBER, business });
    const text = pdf.toString("latin1");
    expect(text.startsWith("%PDF-")).toBe(true);
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(1);
    expect(text).toMatch(/\/MediaBox \[0 0 226\.77\d* /);
    expect(text).toContain("/Subtype /Image");
  });

  it("puts a normalised logo and the QR in the PDF", async () => {
    const logo = normaliseLogoPng(greyPng(40, 10));
    // Re-written as 8-bit RGBA (colour type 6), the same picture.
    expect(logo[25]).toBe(6);
    expect(readPngAsMonochrome(logo)).toEqual(readPngAsMonochrome(greyPng(40, 10)));
    const pdf = await renderReceiptPdf(
      { invoice: sale(), fiscalInvoiceNumber: FISCAL_NUMBER, business },
      { logoPng: logo },
    );
    expect(pdf.toString("latin1").match(/\/Subtype \/Image/g)?.length).toBeGreaterThanOrEqual(2);
    expect(() => normaliseLogoPng(Buffer.from("GIF89a"))).toThrow(PngReadError);
  });

  it("reads greyscale PNGs into printer dots", () => {
    const image = readPngAsMonochrome(greyPng(4, 2));
    expect(image).toEqual({
      width: 4,
      height: 2,
      dots: [true, true, false, false, true, true, false, false],
    });
  });

  it("composites a logo's transparency on white paper", () => {
    // RGBA: black opaque, black fully transparent, black half transparent, white opaque.
    const pixels = [
      [0, 0, 0, 255],
      [0, 0, 0, 0],
      [0, 0, 0, 200],
      [255, 255, 255, 255],
    ];
    const image = readPngAsMonochrome(handWrittenPng(4, 1, 6, (x) => pixels[x] ?? []));
    expect(image.dots).toEqual([true, false, true, false]);
  });

  it("refuses what is not a readable PNG with PngReadError", () => {
    expect(() => readPngAsMonochrome(Buffer.from("not a png"))).toThrow(/not a PNG/);
    for (const cut of [30, 50, 60]) {
      expect(() => readPngAsMonochrome(greyPng(40, 10).subarray(0, cut))).toThrow(/truncated/);
    }
    const corrupt = Buffer.from(greyPng(40, 10));
    corrupt[45] = (corrupt[45] ?? 0) ^ 0xff;
    expect(() => readPngAsMonochrome(corrupt)).toThrow(/corrupt PNG/);
    const huge = Buffer.from(greyPng(4, 2));
    huge.writeUInt32BE(100_000, 16);
    huge.writeUInt32BE(100_000, 20);
    expect(() => readPngAsMonochrome(huge)).toThrow(/too large/);
  });

  it("rasterises the QR from the sdk's modules exactly as the sdk's PNG draws it", async () => {
    for (const sizeMm of [18, 7, 25.4]) {
      const dots = Math.round((sizeMm / 25.4) * 203);
      const fromPng = readPngAsMonochrome(
        await renderFbrQrPng(FISCAL_NUMBER, { sizeInches: sizeMm / 25.4, dpi: 203 }),
      );
      expect(qrRaster(FISCAL_NUMBER, dots)).toEqual(fromPng);
    }
    // Below one dot per module the symbol keeps one dot per module rather than vanishing.
    expect(qrRaster(FISCAL_NUMBER, 10).width).toBe(33);
  });
});

describe("receipts for PRA (Punjab)", () => {
  it("print PRA's name, its PNTN label and caption, and no FBR verification line", () => {
    const input: ReceiptInput = {
      invoice: sale(),
      fiscalInvoiceNumber: "189278250101123456",
      business: { businessName: "Lahore Cafe", ntn: "P1234567-8" },
      authority: "pra",
    };
    const text = renderReceiptText(buildReceiptLayout(input), receiptLogoMarker(input));
    expect(text).toContain("[PRA POS logo]");
    expect(text).toContain("PNTN: P1234567-8");
    expect(text).toContain("PRA Invoice Number");
    expect(text).toContain("Reported to the Punjab Revenue Authority");
    expect(text).not.toContain("FBR");
    const provisional = renderReceiptText(buildReceiptLayout({ ...input, fiscalInvoiceNumber: null }));
    expect(provisional).toContain("PRA invoice number to follow");
    expect(provisional).not.toContain("FBR");
  });
});
