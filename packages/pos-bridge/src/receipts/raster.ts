// 1-bit rasters for thermal printers. The QR comes straight from the sdk's module grid (`fbrQrMatrix`), so
// nothing is encoded to PNG only to be decoded again; the retailer's logo is a PNG read by pngjs (the
// library the sdk's QR PNGs are written with) and thresholded on white paper.
import { createRequire } from "node:module";
import { FBR_QR_QUIET_ZONE_MODULES, fbrQrMatrix } from "@raseed/sdk";

export interface MonochromeImage {
  width: number;
  height: number;
  /** true = print a dot (dark pixel), row-major. */
  dots: boolean[];
}

export class PngReadError extends Error {
  override readonly name = "PngReadError";
}

interface DecodedPng {
  width: number;
  height: number;
  /** 8-bit RGBA, row-major. */
  data: Buffer;
}

/** The part of pngjs used here (pngjs ships no types; it is a CommonJS module). */
interface PngSync {
  PNG: { sync: { read(png: Buffer): DecodedPng; write(png: DecodedPng): Buffer } };
}

const { PNG } = createRequire(import.meta.url)("pngjs") as PngSync;

/** Larger than any logo a receipt prints (576 dots wide); refuses decompression bombs before decoding. */
const MAX_LOGO_PIXELS = 4096 * 4096;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function decodePng(png: Buffer): DecodedPng {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new PngReadError("not a PNG file");
  // pngjs's synchronous reader stops quietly where a cut-off file ends and hands back whatever it decoded;
  // a complete PNG ends with its IEND chunk (length, "IEND", CRC), so a missing one means the file is cut.
  if (png.subarray(-8, -4).toString("latin1") !== "IEND")
    throw new PngReadError("truncated PNG (no IEND chunk at the end)");
  // IHDR is always first: width and height sit at bytes 16-23.
  if (png.readUInt32BE(16) * png.readUInt32BE(20) > MAX_LOGO_PIXELS)
    throw new PngReadError(`PNG too large (${png.readUInt32BE(16)}x${png.readUInt32BE(20)} pixels)`);
  try {
    return PNG.sync.read(png);
  } catch (error) {
    throw new PngReadError(`corrupt PNG (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * The logo re-written by pngjs as a plain 8-bit RGBA, non-interlaced PNG: whatever variant the retailer's
 * file is (interlaced, 16-bit, palette), the PDF renderer then gets one pdfkit reads. Throws
 * `PngReadError` for a file that does not decode, so a bad logo fails at start, not at the first receipt.
 */
export function normaliseLogoPng(png: Buffer): Buffer {
  return PNG.sync.write(decodePng(png));
}

/**
 * Decodes a PNG (any colour type, bit depth or interlacing pngjs reads: it hands back 8-bit RGBA) into
 * printer dots: a pixel prints when its luminance, composited on white paper, is below half.
 */
export function readPngAsMonochrome(png: Buffer): MonochromeImage {
  const { width, height, data } = decodePng(png);
  const dots: boolean[] = new Array(width * height);
  for (let pixel = 0; pixel < width * height; pixel++) {
    const at = pixel * 4;
    const luminance =
      0.299 * (data[at] ?? 255) + 0.587 * (data[at + 1] ?? 255) + 0.114 * (data[at + 2] ?? 255);
    const alpha = data[at + 3] ?? 255;
    // Composite on white paper: transparent pixels print nothing.
    dots[pixel] = (luminance * alpha + 255 * (255 - alpha)) / 255 < 128;
  }
  return { width, height, dots };
}

/**
 * The FBR QR of `text` as a square raster `widthDots` wide, quiet zone included, laid out exactly as the
 * sdk's `renderFbrQrPng` lays out its pixels: every module the same whole number of dots
 * (floor(width / 33)), the dots left over widening the quiet zone, so a scanner never sees uneven modules.
 */
export function qrRaster(text: string, widthDots: number): MonochromeImage {
  const matrix = fbrQrMatrix(text);
  const width = Math.round(widthDots);
  const total = matrix.size + 2 * FBR_QR_QUIET_ZONE_MODULES;
  // Never below one dot per module: a smaller request prints the smallest readable symbol instead.
  const scale = Math.max(1, Math.floor(width / total));
  const side = Math.max(width, total * scale);
  const offset = Math.floor((side - matrix.size * scale) / 2);
  const dots: boolean[] = new Array(side * side).fill(false);
  for (let y = 0; y < side; y++) {
    const row = matrix.modules[Math.floor((y - offset) / scale)];
    if (y < offset || row === undefined) continue;
    for (let x = offset; x < offset + matrix.size * scale; x++) {
      dots[y * side + x] = row[Math.floor((x - offset) / scale)] === true;
    }
  }
  return { width: side, height: side, dots };
}

/** Nearest-neighbour resize to a width in printer dots (edges stay sharp on a 1-bit printer). */
export function resizeMonochrome(image: MonochromeImage, targetWidth: number): MonochromeImage {
  const width = Math.max(1, Math.round(targetWidth));
  const height = Math.max(1, Math.round((image.height * width) / image.width));
  const dots: boolean[] = new Array(width * height);
  for (let y = 0; y < height; y++) {
    const sourceY = Math.min(image.height - 1, Math.floor((y * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sourceX = Math.min(image.width - 1, Math.floor((x * image.width) / width));
      dots[y * width + x] = image.dots[sourceY * image.width + sourceX] ?? false;
    }
  }
  return { width, height, dots };
}
