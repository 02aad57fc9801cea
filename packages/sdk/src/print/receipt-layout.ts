// The 80 mm receipt as a list of lines, shared by the pos-bridge's IMS receipts and the gateway's
// receipt-format invoices: one line model, one text view, one PDF drawing routine. The sdk stays free of
// a PDF library: `drawReceiptLines` draws on anything shaped like a pdfkit document (`ReceiptCanvas`),
// and each package brings its own pdfkit.

/** 48 columns: Font A on 80 mm paper (72 mm printable at 203 dpi = 576 dots, 12 dots per character). */
export const RECEIPT_COLUMNS = 48;

export type ReceiptLine =
  | { kind: "text"; text: string; align: "left" | "center" | "right"; bold?: boolean }
  | { kind: "rule" }
  | { kind: "logo" }
  | { kind: "qr"; data: string };

/** Left text and right text on one line, the left cut to fit. */
export function receiptColumns(left: string, right: string, width = RECEIPT_COLUMNS): string {
  const room = Math.max(0, width - right.length - 1);
  const cut = left.length > room ? left.slice(0, room) : left;
  return `${cut}${" ".repeat(Math.max(1, width - cut.length - right.length))}${right}`;
}

/** Words wrapped to `width` columns; a word longer than a line is cut. */
export function wrapReceiptText(text: string, width = RECEIPT_COLUMNS): string[] {
  const words = text.split(/\s+/).filter((word) => word !== "");
  const lines: string[] = [];
  let current = "";
  for (const word of words) {
    if (current === "") current = word.slice(0, width);
    else if (current.length + 1 + word.length <= width) current = `${current} ${word}`;
    else {
      lines.push(current);
      current = word.slice(0, width);
    }
  }
  if (current !== "") lines.push(current);
  return lines;
}

/** The receipt as plain text (logo and QR shown as markers): for tests, logs and screens. */
export function renderReceiptText(lines: readonly ReceiptLine[], logoMarker = "[FBR POS logo]"): string {
  return lines
    .map((line) => {
      switch (line.kind) {
        case "rule":
          return "-".repeat(RECEIPT_COLUMNS);
        case "logo":
          return logoMarker.padStart(Math.floor((RECEIPT_COLUMNS + logoMarker.length) / 2));
        case "qr":
          return `[QR: ${line.data}]`.padStart(Math.floor((RECEIPT_COLUMNS + line.data.length + 6) / 2));
        case "text": {
          if (line.align === "center") {
            const pad = Math.max(0, Math.floor((RECEIPT_COLUMNS - line.text.length) / 2));
            return `${" ".repeat(pad)}${line.text}`.trimEnd();
          }
          return line.align === "right" ? line.text.padStart(RECEIPT_COLUMNS) : line.text.trimEnd();
        }
        default:
          return "";
      }
    })
    .join("\n");
}

/** The part of a pdfkit document the drawing uses (pdfkit's `PDFDocument` satisfies it). */
export interface ReceiptCanvas {
  font(name: string): unknown;
  fontSize(size: number): unknown;
  text(
    text: string,
    x: number,
    y: number,
    options: { width: number; align: "left" | "center" | "right"; lineBreak: false },
  ): unknown;
  moveTo(x: number, y: number): unknown;
  lineTo(x: number, y: number): unknown;
  lineWidth(width: number): unknown;
  stroke(): unknown;
  image(source: Buffer, x: number, y: number, options: { width: number; height?: number }): unknown;
}

const POINTS_PER_MM = 72 / 25.4;

/** Page geometry of an 80 mm receipt in PDF points. */
export interface ReceiptPdfGeometry {
  pageWidth: number;
  margin: number;
  fontSize: number;
  lineHeight: number;
  logoWidth: number;
  /** Side of the QR image, quiet zone included. */
  qrSize: number;
}

export function receiptPdfGeometry(qrSizeMm: number): ReceiptPdfGeometry {
  const fontSize = 7;
  return {
    pageWidth: 80 * POINTS_PER_MM,
    margin: 4 * POINTS_PER_MM,
    fontSize,
    lineHeight: fontSize * 1.25,
    logoWidth: 30 * POINTS_PER_MM,
    qrSize: qrSizeMm * POINTS_PER_MM,
  };
}

export interface ReceiptPdfImages {
  /** The logo (PNG or JPEG) and its pixel size, or nothing: the logo line then takes no room. */
  logo?: { image: Buffer; width: number; height: number };
  /** One PNG per QR line's data, `qrSize` square when drawn. */
  qr: ReadonlyMap<string, Buffer>;
}

function logoHeight(geometry: ReceiptPdfGeometry, images: ReceiptPdfImages): number {
  return images.logo === undefined ? 0 : (geometry.logoWidth * images.logo.height) / images.logo.width;
}

/** The page height that fits every line (receipts are one page, as long as the roll needs). */
export function receiptPdfHeight(
  lines: readonly ReceiptLine[],
  geometry: ReceiptPdfGeometry,
  images: ReceiptPdfImages,
): number {
  const logo = logoHeight(geometry, images);
  return Math.ceil(
    geometry.margin * 2 +
      lines.reduce((sum, line) => {
        if (line.kind === "qr") return sum + geometry.qrSize + 4;
        if (line.kind === "logo") return sum + (logo > 0 ? logo + 4 : 0);
        return sum + geometry.lineHeight;
      }, 0),
  );
}

/** Draws the lines top to bottom in monospace (Courier), centring the logo and QR. */
export function drawReceiptLines(
  canvas: ReceiptCanvas,
  lines: readonly ReceiptLine[],
  geometry: ReceiptPdfGeometry,
  images: ReceiptPdfImages,
): void {
  const { pageWidth, margin, lineHeight, qrSize } = geometry;
  const contentWidth = pageWidth - margin * 2;
  const logo = logoHeight(geometry, images);
  let y = margin;
  for (const line of lines) {
    switch (line.kind) {
      case "rule":
        canvas.moveTo(margin, y + lineHeight / 2);
        canvas.lineTo(pageWidth - margin, y + lineHeight / 2);
        canvas.lineWidth(0.5);
        canvas.stroke();
        y += lineHeight;
        break;
      case "logo":
        if (images.logo !== undefined) {
          canvas.image(images.logo.image, (pageWidth - geometry.logoWidth) / 2, y, {
            width: geometry.logoWidth,
          });
          y += logo + 4;
        }
        break;
      case "qr": {
        const png = images.qr.get(line.data);
        if (png === undefined) throw new Error(`no QR image for ${line.data}`);
        canvas.image(png, (pageWidth - qrSize) / 2, y, { width: qrSize, height: qrSize });
        y += qrSize + 4;
        break;
      }
      case "text":
        canvas.font(line.bold ? "Courier-Bold" : "Courier");
        canvas.fontSize(geometry.fontSize);
        canvas.text(line.text, margin, y, { width: contentWidth, align: line.align, lineBreak: false });
        y += lineHeight;
        break;
    }
  }
}
