// Receipts for 80 mm thermal printers, as PDF (pdfkit) and as plain ESC/POS bytes, carrying what SRO
// 1006(I)/2021 asks a Tier-1 POS invoice to show (FBR-SPEC §10, spec/data/ims.json "printing"). One layout
// (`buildReceiptLayout`) feeds both renderers and a plain-text view that tests compare as golden text.
import type { ImsAuthority, ImsInvoice, ReceiptLine } from "@raseed/sdk";
import {
  receiptColumns as columns,
  drawReceiptLines,
  IMS_AUTHORITIES,
  IMS_INVOICE_TYPE_LABELS,
  IMS_PAYMENT_MODE_LABELS,
  imsInvoiceNumberCaption,
  imsVerificationText,
  RECEIPT_COLUMNS,
  receiptPdfGeometry,
  receiptPdfHeight,
  renderFbrQrPng,
  roundMoney,
  roundQuantity,
  wrapReceiptText as wrap,
} from "@raseed/sdk";
import PDFDocument from "pdfkit";
import type { ReceiptConfig } from "../config.ts";
import { PROVISIONAL_RESPONSE_TEXT } from "../till/protocol.ts";
import { type MonochromeImage, qrRaster, readPngAsMonochrome, resizeMonochrome } from "./raster.ts";

// The line model, text view and PDF drawing are shared with the gateway's receipts (sdk print/).
// FBR_VERIFY_STATEMENT: SRO 1006(I)/2021's statement, verbatim (sdk print/authority-wording.ts).
export { FBR_VERIFY_STATEMENT, RECEIPT_COLUMNS, type ReceiptLine, renderReceiptText } from "@raseed/sdk";
export {
  type MonochromeImage,
  normaliseLogoPng,
  PngReadError,
  qrRaster,
  readPngAsMonochrome,
} from "./raster.ts";

const PRINTABLE_DOTS = 576;
const PRINTER_DPI = 203;
/**
 * QR side, quiet zone included. SRO 1006(I)/2021 says 7x7 mm; one IMS guide says 0.7-1.0 inch (FBR-SPEC
 * §10). At 203 dpi 7 mm is 56 dots for 33 modules (25 + quiet zone), one dot per module, which many phones
 * misread on thermal paper, so the default follows the guide's lower bound (18 mm: 4 dots per module) and
 * `qrSizeMm: 7` gives the SRO's size.
 */
export const DEFAULT_QR_SIZE_MM = 18;
/** A buyer's name is required when the buyer is liable or the bill is above Rs.100,000 (SRO 1006). */
const BUYER_NAME_THRESHOLD = 100_000;

export interface ReceiptInput {
  invoice: ImsInvoice;
  /** FBR's fiscal number, or null for a provisional receipt (issued offline, pending FBR). */
  fiscalInvoiceNumber: string | null;
  business?: ReceiptConfig;
  /** Cash received from the buyer (not part of the IMS model), to print received and change. */
  amountReceived?: number;
  qrSizeMm?: number;
  /**
   * The revenue authority the sale is reported to (default FBR): the receipt prints its own name, its
   * registration label (NTN for FBR, PNTN for PRA) and its invoice-number caption.
   */
  authority?: ImsAuthority;
}

function money(value: number): string {
  return roundMoney(value).toFixed(2);
}

function quantity(value: number): string {
  return roundQuantity(value).toString();
}

/** Where the text view marks the authority's POS logo: "[FBR POS logo]", "[PRA POS logo]". */
export function receiptLogoMarker(input: ReceiptInput): string {
  return `[${IMS_AUTHORITIES[input.authority ?? "fbr"].shortName} POS logo]`;
}

/** The receipt as lines: business block, invoice block, items, totals, then the fiscal block. */
export function buildReceiptLayout(input: ReceiptInput): ReceiptLine[] {
  const { invoice } = input;
  const business = input.business ?? {};
  const lines: ReceiptLine[] = [];
  const text = (value: string, align: "left" | "center" | "right" = "left", bold = false): void => {
    lines.push(bold ? { kind: "text", text: value, align, bold } : { kind: "text", text: value, align });
  };
  const fiscalNumber = input.fiscalInvoiceNumber;
  const authority = IMS_AUTHORITIES[input.authority ?? "fbr"];

  // Business block (SRO 1006): name, address, STRN + NTN, tax office, POS registration number.
  if (business.businessName !== undefined)
    for (const line of wrap(business.businessName)) text(line, "center", true);
  if (business.address !== undefined) for (const line of wrap(business.address)) text(line, "center");
  if (business.ntn !== undefined) text(`${authority.registrationLabel}: ${business.ntn}`, "center");
  if (business.strn !== undefined) text(`STRN: ${business.strn}`, "center");
  if (business.taxOffice !== undefined) text(`Tax office: ${business.taxOffice}`, "center");
  text(`POS registration no: ${invoice.POSID}`, "center");
  lines.push({ kind: "rule" });

  // Invoice block: the seller's sequential number, date/time, payment mode, buyer.
  const typeName = IMS_INVOICE_TYPE_LABELS[invoice.InvoiceType] ?? String(invoice.InvoiceType);
  text(invoice.InvoiceType === 1 ? "SALES INVOICE" : `${typeName.toUpperCase()} NOTE`, "center", true);
  text(columns("Invoice no (USIN):", invoice.USIN));
  if (invoice.RefUSIN !== undefined) text(columns("Against USIN:", invoice.RefUSIN));
  text(columns("Date/time:", invoice.DateTime));
  text(columns("Payment mode:", IMS_PAYMENT_MODE_LABELS[invoice.PaymentMode] ?? String(invoice.PaymentMode)));
  if (invoice.BuyerName !== undefined) text(columns("Buyer:", invoice.BuyerName));
  else if (invoice.TotalBillAmount > BUYER_NAME_THRESHOLD)
    text(columns("Buyer:", "(name required above Rs.100,000)"));
  if (invoice.BuyerNTN !== undefined) text(columns("Buyer NTN:", invoice.BuyerNTN));
  if (invoice.BuyerCNIC !== undefined) text(columns("Buyer CNIC:", invoice.BuyerCNIC));
  lines.push({ kind: "rule" });

  // Items: description, price excl. tax, rate (0% when exempt), quantity, tax.
  text(columns("Item", "Amount"), "left", true);
  text("  qty x value excl. tax | rate | tax");
  for (const item of invoice.Items) {
    for (const line of wrap(item.ItemName)) text(line);
    const detail = `  ${quantity(item.Quantity)} x ${money(item.SaleValue)} | ${item.TaxRate}% | ${money(item.TaxCharged)}`;
    text(columns(detail, money(item.TotalAmount)));
    if (item.Discount !== 0) text(columns("  discount", `-${money(item.Discount)}`));
    if (item.FurtherTax !== 0) text(columns("  further tax", money(item.FurtherTax)));
  }
  lines.push({ kind: "rule" });

  // Totals: sale value, tax, discount, payable, received.
  text(columns("Sale value (excl. tax)", money(invoice.TotalSaleValue)));
  text(columns("Sales tax", money(invoice.TotalTaxCharged)));
  if (invoice.FurtherTax !== 0) text(columns("Further tax", money(invoice.FurtherTax)));
  text(columns("Discount", money(invoice.Discount)));
  let payable = roundMoney(invoice.TotalBillAmount);
  if (business.serviceFee !== undefined && business.serviceFee > 0) {
    // SRO 1279(I)/2021: a POS service fee (Re.1) per invoice, added to what the buyer pays.
    text(columns("POS service fee", money(business.serviceFee)));
    payable = payable.plus(roundMoney(business.serviceFee));
  }
  text(columns("TOTAL PAYABLE", payable.toFixed(2)), "left", true);
  if (input.amountReceived !== undefined) {
    const received = roundMoney(input.amountReceived);
    text(columns("Received", received.toFixed(2)));
    text(columns("Change", received.minus(payable).toFixed(2)));
  }
  lines.push({ kind: "rule" });

  // Fiscal block. The FBR number, logo and QR appear only once FBR has issued the number (FBR-SPEC §10);
  // a provisional receipt says it was issued offline (Rule 150XC).
  if (fiscalNumber === null) {
    // The till's reply says "pending FBR" (the component's contract); the printed receipt names the authority.
    const provisional = PROVISIONAL_RESPONSE_TEXT.replace(/FBR$/, authority.shortName);
    text(`*** ${provisional.toUpperCase()} ***`, "center", true);
    for (const line of wrap(
      `${authority.shortName} invoice number to follow once the sale is reported to ${authority.shortName}.`,
    ))
      text(line, "center");
    text(`Ask with invoice no ${invoice.USIN}`, "center");
  } else {
    lines.push({ kind: "logo" });
    text(imsInvoiceNumberCaption(input.authority), "center");
    text(fiscalNumber, "center", true);
    lines.push({ kind: "qr", data: fiscalNumber });
    // FBR's verification statement, or PRA's name (sdk print/authority-wording.ts says why).
    for (const line of wrap(imsVerificationText(input.authority))) text(line, "center");
  }
  return lines;
}

export interface ReceiptImages {
  /** The retailer's FBR POS logo as PNG (configured; Raseed ships no FBR artwork). */
  logoPng?: Buffer;
}

/** The PDF embeds the sdk's QR PNG as is (pdfkit reads it); ESC/POS takes `qrRaster`'s dots. */
async function qrPng(data: string, sizeMm: number): Promise<Buffer> {
  return renderFbrQrPng(data, { sizeInches: sizeMm / 25.4, dpi: PRINTER_DPI });
}

function mmToDots(mm: number): number {
  return Math.round((mm / 25.4) * PRINTER_DPI);
}

// -------------------------------------------------------------------------------------------------------
// ESC/POS

const ESC = 0x1b;
const GS = 0x1d;

/** GS v 0: a raster image, 8 dots per byte, MSB first. */
function escPosRaster(image: MonochromeImage): Buffer {
  const bytesPerRow = Math.ceil(image.width / 8);
  const body = Buffer.alloc(bytesPerRow * image.height);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.dots[y * image.width + x]) {
        const index = y * bytesPerRow + (x >> 3);
        body[index] = (body[index] ?? 0) | (0x80 >> (x & 7));
      }
    }
  }
  const header = Buffer.from([
    GS,
    0x76,
    0x30,
    0x00,
    bytesPerRow & 0xff,
    bytesPerRow >> 8,
    image.height & 0xff,
    image.height >> 8,
  ]);
  return Buffer.concat([header, body]);
}

const ALIGN: Record<"left" | "center" | "right", number> = { left: 0, center: 1, right: 2 };

/** Code page 437 covers ASCII; anything else prints as "?" rather than as garbage bytes. */
function asciiBytes(text: string): Buffer {
  return Buffer.from(text.replace(/[^\x20-\x7e]/g, "?"), "ascii");
}

/**
 * Plain ESC/POS for 80 mm printers (Epson-compatible): initialise, text with alignment and emphasis,
 * the logo and QR as GS v 0 rasters, feed and partial cut.
 */
export async function renderReceiptEscPos(input: ReceiptInput, images: ReceiptImages = {}): Promise<Buffer> {
  const lines = buildReceiptLayout(input);
  const parts: Buffer[] = [Buffer.from([ESC, 0x40])];
  for (const line of lines) {
    switch (line.kind) {
      case "rule":
        parts.push(Buffer.from([ESC, 0x61, 0]), asciiBytes("-".repeat(RECEIPT_COLUMNS)), Buffer.from([0x0a]));
        break;
      case "logo":
        if (images.logoPng !== undefined) {
          const logo = readPngAsMonochrome(images.logoPng);
          const fitted = logo.width > PRINTABLE_DOTS / 2 ? resizeMonochrome(logo, PRINTABLE_DOTS / 2) : logo;
          parts.push(Buffer.from([ESC, 0x61, 1]), escPosRaster(fitted), Buffer.from([0x0a]));
        }
        break;
      case "qr": {
        const qr = qrRaster(line.data, mmToDots(input.qrSizeMm ?? DEFAULT_QR_SIZE_MM));
        parts.push(Buffer.from([ESC, 0x61, 1]), escPosRaster(qr), Buffer.from([0x0a]));
        break;
      }
      case "text":
        parts.push(
          Buffer.from([ESC, 0x61, ALIGN[line.align], ESC, 0x45, line.bold ? 1 : 0]),
          asciiBytes(line.text),
          Buffer.from([0x0a]),
        );
        break;
    }
  }
  // Reset emphasis, feed past the cutter, partial cut.
  parts.push(Buffer.from([ESC, 0x45, 0, ESC, 0x64, 4, GS, 0x56, 0x01]));
  return Buffer.concat(parts);
}

// -------------------------------------------------------------------------------------------------------
// PDF

/** An 80 mm-wide, single-page PDF whose height fits the receipt. */
export async function renderReceiptPdf(input: ReceiptInput, images: ReceiptImages = {}): Promise<Buffer> {
  const lines = buildReceiptLayout(input);
  const qrSizeMm = input.qrSizeMm ?? DEFAULT_QR_SIZE_MM;
  const geometry = receiptPdfGeometry(qrSizeMm);
  const qr = new Map<string, Buffer>();
  for (const line of lines) if (line.kind === "qr") qr.set(line.data, await qrPng(line.data, qrSizeMm));
  const logo =
    images.logoPng === undefined
      ? undefined
      : { image: images.logoPng, ...readPngAsMonochrome(images.logoPng) };
  const pdfImages = logo === undefined ? { qr } : { qr, logo };
  const doc = new PDFDocument({
    size: [geometry.pageWidth, receiptPdfHeight(lines, geometry, pdfImages)],
    margin: geometry.margin,
    info: { Title: `Receipt ${input.invoice.USIN}`, Producer: "Raseed pos-bridge" },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  drawReceiptLines(doc, lines, geometry, pdfImages);
  doc.end();
  return finished;
}
