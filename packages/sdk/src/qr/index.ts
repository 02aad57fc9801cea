// The FBR invoice-number QR code. Spec v1.12 §6: "QR Code Version: 2.0 (25×25)", "1.0 x 1.0 Inch"; the
// payload is the FBR invoice number (rule 150XA(4)(e) for POS; integrator practice for DI, FBR-SPEC §10).
import QRCode from "qrcode";
import { InvalidOptionError, QrCapacityError } from "../errors/classes.ts";
import { encodeGreyscalePng } from "./png.ts";

/** FBR's required symbol: version 2, 25×25 modules. */
export const FBR_QR_VERSION = 2;
export const FBR_QR_MODULES = 25;
/** ISO/IEC 18004 quiet zone: 4 modules on each side, included in the physical size. */
export const FBR_QR_QUIET_ZONE_MODULES = 4;

export type QrErrorCorrectionLevel = "L" | "M" | "Q" | "H";
export type QrMode = "alphanumeric" | "byte";

/**
 * Version 2 capacity (ISO/IEC 18004 table 7): characters in alphanumeric mode, bytes in byte mode.
 * A 22- or 28-character DI number fits alphanumeric at Q; byte mode would fit it only at L.
 */
export const FBR_QR_CAPACITY: Readonly<Record<QrMode, Readonly<Record<QrErrorCorrectionLevel, number>>>> = {
  alphanumeric: { L: 47, M: 38, Q: 29, H: 20 },
  byte: { L: 32, M: 26, Q: 20, H: 14 },
};

/**
 * Levels tried, strongest first. Q (25% recovery) is the ceiling: it is the level of the only QR FBR has
 * published (the v1.12 sample, decoded in FBR-SPEC §10), and it leaves room for the 28-char DI numbers.
 */
const AUTOMATIC_LEVELS: readonly QrErrorCorrectionLevel[] = ["Q", "M", "L"];

// The QR alphanumeric set: digits, upper-case A-Z, space and $ % * + - . / :
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

export interface FbrQrOptions {
  /** Physical edge length including the quiet zone. Default 1.0 inch (spec v1.12 §6). */
  sizeInches?: number;
  /** Print resolution; decides the PNG's pixel width. Default 300. */
  dpi?: number;
  /** Force a level instead of the strongest that fits. */
  errorCorrectionLevel?: QrErrorCorrectionLevel;
}

/** The encoded symbol: what was chosen, and the 25×25 module grid (true = dark). */
export interface FbrQrMatrix {
  text: string;
  version: number;
  size: number;
  mode: QrMode;
  errorCorrectionLevel: QrErrorCorrectionLevel;
  modules: boolean[][];
}

/**
 * Encodes `text` as a version 2 QR symbol: alphanumeric mode when every character is in the QR
 * alphanumeric set (FBR numbers are digits and capitals), byte mode otherwise, at the strongest error
 * correction that fits. Throws `QrCapacityError` naming the maximum length when nothing fits.
 */
export function fbrQrMatrix(
  text: string,
  options: Pick<FbrQrOptions, "errorCorrectionLevel"> = {},
): FbrQrMatrix {
  if (typeof text !== "string" || text === "") throw new InvalidOptionError("the QR text is empty");
  const mode: QrMode = ALPHANUMERIC.test(text) ? "alphanumeric" : "byte";
  const length = mode === "alphanumeric" ? text.length : Buffer.byteLength(text, "utf8");
  const capacity = FBR_QR_CAPACITY[mode];
  const candidates =
    options.errorCorrectionLevel === undefined ? AUTOMATIC_LEVELS : [options.errorCorrectionLevel];
  const level = candidates.find((candidate) => length <= capacity[candidate]);
  if (level === undefined) {
    const forced = options.errorCorrectionLevel;
    const max = forced === undefined ? capacity.L : capacity[forced];
    const unit = mode === "alphanumeric" ? "characters" : "bytes";
    const why =
      mode === "byte" ? " (byte mode: the text has characters outside 0-9, A-Z, space and $%*+-./:)" : "";
    throw new QrCapacityError(
      `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}" does not fit a version 2 (25×25) QR code: at most ${max} ${unit} in ${mode} mode${forced === undefined ? "" : ` at level ${forced}`}${why}, got ${length}`,
      length,
      max,
    );
  }
  const segment =
    mode === "alphanumeric"
      ? { mode: "alphanumeric" as const, data: text }
      : { mode: "byte" as const, data: Buffer.from(text, "utf8") };
  const symbol = QRCode.create([segment], { version: FBR_QR_VERSION, errorCorrectionLevel: level });
  const size = symbol.modules.size;
  const modules: boolean[][] = [];
  for (let row = 0; row < size; row++) {
    const line: boolean[] = [];
    for (let col = 0; col < size; col++) line.push(symbol.modules.get(row, col) === 1);
    modules.push(line);
  }
  return { text, version: symbol.version, size, mode, errorCorrectionLevel: level, modules };
}

function physicalSize(options: FbrQrOptions): { sizeInches: number; dpi: number } {
  const sizeInches = options.sizeInches ?? 1;
  const dpi = options.dpi ?? 300;
  if (!Number.isFinite(sizeInches) || sizeInches <= 0 || sizeInches > 20) {
    throw new InvalidOptionError(`sizeInches must be a number above 0 and at most 20, got ${sizeInches}`);
  }
  if (!Number.isFinite(dpi) || dpi <= 0 || dpi > 2400) {
    throw new InvalidOptionError(`dpi must be a number above 0 and at most 2400, got ${dpi}`);
  }
  return { sizeInches, dpi };
}

/**
 * SVG of the FBR QR code, `sizeInches` wide and high (quiet zone included), one viewBox unit per module.
 * @example renderFbrQrSvg("7000007DI1747119701593") // <svg ... width="1in" height="1in" viewBox="0 0 33 33">
 */
export function renderFbrQrSvg(text: string, options: FbrQrOptions = {}): string {
  const { sizeInches } = physicalSize(options);
  const matrix = fbrQrMatrix(text, options);
  const total = matrix.size + 2 * FBR_QR_QUIET_ZONE_MODULES;
  let path = "";
  matrix.modules.forEach((line, row) => {
    let col = 0;
    while (col < line.length) {
      if (!line[col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < line.length && line[col]) col++;
      // One rectangle per horizontal run of dark modules keeps the file small and the edges exact.
      path += `M${start + FBR_QR_QUIET_ZONE_MODULES} ${row + FBR_QR_QUIET_ZONE_MODULES}h${col - start}v1h-${col - start}z`;
    }
  });
  const size = `${Number(sizeInches.toFixed(4))}in`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${total} ${total}" ` +
    `shape-rendering="crispEdges" role="img" aria-label="${escapeXml(`QR code: ${text}`)}">` +
    `<rect width="${total}" height="${total}" fill="#ffffff"/><path fill="#000000" d="${path}"/></svg>\n`
  );
}

/**
 * PNG of the FBR QR code: round(sizeInches × dpi) pixels square, quiet zone included, with the DPI recorded
 * in a pHYs chunk. Every module gets the same whole number of pixels (floor(width / 33)); the pixels left
 * over widen the quiet zone, so a scanner never sees uneven modules.
 */
export async function renderFbrQrPng(text: string, options: FbrQrOptions = {}): Promise<Buffer> {
  const { sizeInches, dpi } = physicalSize(options);
  const matrix = fbrQrMatrix(text, options);
  const total = matrix.size + 2 * FBR_QR_QUIET_ZONE_MODULES;
  const widthPx = Math.round(sizeInches * dpi);
  if (widthPx < total) {
    throw new InvalidOptionError(
      `${sizeInches} in at ${dpi} dpi is ${widthPx} px, too small: a 25×25 QR with its quiet zone needs at least ${total} px`,
    );
  }
  const scale = Math.floor(widthPx / total);
  const offset = Math.floor((widthPx - matrix.size * scale) / 2);
  return encodeGreyscalePng(widthPx, dpi, (x, y) => {
    const col = Math.floor((x - offset) / scale);
    const row = Math.floor((y - offset) / scale);
    if (x < offset || y < offset || row >= matrix.size || col >= matrix.size) return false;
    return matrix.modules[row]?.[col] === true;
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
