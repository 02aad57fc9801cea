// The tax invoice as PDF, in two formats: A4 (an office printer, a PDF e-mailed to the buyer) and an 80 mm
// receipt (a thermal printer at a counter). Both print what `toPrintable` gathered. The receipt uses the
// line model and drawing shared with the pos-bridge's receipts (sdk print/), so the two never drift apart.
//
// FBR's rules for the printed invoice (FBR-SPEC §10; DI spec v1.12 §6): the FBR invoice number, its QR code
// (version 2, 25x25, 1.0 x 1.0 inch) and the Digital Invoicing logo. Raseed ships no FBR artwork: the
// operator configures the logo image (`documentLogo`), printed in the logo slot.
import {
  drawReceiptLines,
  formatAmountPk,
  IMS_AUTHORITIES,
  imsInvoiceNumberCaption,
  imsVerificationText,
  pakistanDateTime,
  type ReceiptLine,
  receiptColumns,
  receiptPdfGeometry,
  receiptPdfHeight,
  renderFbrQrPng,
  wrapReceiptText,
} from "@raseed/sdk";
import { loadPdfKit, type PdfKit } from "./pdfkit.ts";
import type { PrintableInvoice, PrintableLine } from "./printable.ts";

/** The print time as a person at the counter reads it: Pakistan time, not the UTC instant stored. */
function printedPkt(iso: string): string {
  return `${pakistanDateTime(Date.parse(iso))} PKT`;
}

export type DocumentFormat = "a4" | "receipt";
/** ORIGINAL: the first print; DUPLICATE: every later one; PROFORMA: not (yet) accepted by FBR. */
export type DocumentCopy = "original" | "duplicate" | "proforma";

export const PROFORMA_MARK = "PROFORMA - NOT A TAX INVOICE";
/** The QR's printed side, quiet zone included (DI spec v1.12 §6: 1.0 x 1.0 inch). */
export const QR_SIZE_INCHES = 1;
const QR_DPI = 300;

export interface DocumentLogo {
  /** PNG or JPEG bytes, as configured. */
  image: Buffer;
}

export interface RenderOptions {
  format: DocumentFormat;
  copy: DocumentCopy;
  /** Which print this is (1 = the original); printed beside DUPLICATE. */
  printNumber?: number;
  /** Set once the invoice was cancelled: every later print says CANCELLED. */
  cancelled?: { at: string; irisReference: string };
  /** The seal's short form (records/seals), printed so a reader can check it. */
  sealShort?: string;
  logo?: DocumentLogo;
  /** Generation time, printed in the footer (injected for deterministic output). */
  printedAt: string;
}

function money(value: { toFixed(places: number): string }): string {
  return formatAmountPk(value.toFixed(2));
}

function copyMark(options: RenderOptions): string {
  if (options.copy === "proforma") return PROFORMA_MARK;
  if (options.copy === "original") return "ORIGINAL";
  return options.printNumber === undefined ? "DUPLICATE" : `DUPLICATE (print ${options.printNumber})`;
}

function title(invoice: PrintableInvoice, options: RenderOptions): string {
  if (options.copy === "proforma") return PROFORMA_MARK;
  return invoice.documentType === "Sale Invoice" ? "SALES TAX INVOICE" : invoice.documentType.toUpperCase();
}

export function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
}

/** The FBR block is printed only on a tax invoice: never on a proforma (no number, no QR). */
function fiscalNumber(invoice: PrintableInvoice, options: RenderOptions): string | null {
  return options.copy === "proforma" ? null : invoice.fbrInvoiceNumber;
}

/** "FBR" or "PRA": who issued (or will issue) the number, as the bridge's receipts name it (issue 12). */
function issuer(invoice: PrintableInvoice): string {
  return IMS_AUTHORITIES[invoice.authority].shortName;
}

async function qrImage(number: string): Promise<Buffer> {
  return renderFbrQrPng(number, { sizeInches: QR_SIZE_INCHES, dpi: QR_DPI });
}

function logoSize(PDFDocument: PdfKit, logo: DocumentLogo): { width: number; height: number } {
  // pdfkit reads the image's pixel size without drawing it.
  // (openImage is public in pdfkit 0.17 but missing from @types/pdfkit.)
  const probe = new PDFDocument({ autoFirstPage: false }) as unknown as {
    openImage(source: Buffer): { width: number; height: number };
  };
  const image = probe.openImage(logo.image);
  return { width: image.width, height: image.height };
}

// -------------------------------------------------------------------------------------------------------
// Receipt (80 mm)

function lineDetail(line: PrintableLine): string {
  return `  ${line.quantity} ${line.unit} | ${line.rate} | excl ${money(line.valueExcludingTax)}`;
}

/**
 * What the seller's number is called: the IMS authority's own registration ("PNTN" for PRA, as the POS bridge's
 * receipts print it) on an IMS sale reported to an authority other than FBR; FBR's "NTN/CNIC" otherwise.
 */
function sellerNumberLabel(invoice: PrintableInvoice): string {
  return invoice.channel === "ims" && invoice.authority !== "fbr"
    ? IMS_AUTHORITIES[invoice.authority].registrationLabel
    : "NTN/CNIC";
}

/** The invoice as receipt lines (the shared 48-column model). */
export function buildInvoiceReceiptLines(invoice: PrintableInvoice, options: RenderOptions): ReceiptLine[] {
  const lines: ReceiptLine[] = [];
  const text = (value: string, align: "left" | "center" | "right" = "left", bold = false): void => {
    lines.push(bold ? { kind: "text", text: value, align, bold } : { kind: "text", text: value, align });
  };
  const pair = (left: string, right: string): void => text(receiptColumns(left, right));
  const number = fiscalNumber(invoice, options);

  if (options.logo !== undefined) lines.push({ kind: "logo" });
  for (const line of wrapReceiptText(invoice.seller.name)) text(line, "center", true);
  for (const line of wrapReceiptText(invoice.seller.address)) text(line, "center");
  text(`${sellerNumberLabel(invoice)}: ${invoice.seller.ntnOrCnic}`, "center");
  if (invoice.seller.province !== "") text(`Province: ${invoice.seller.province}`, "center");
  if (invoice.posId !== undefined) text(`POS registration no: ${invoice.posId}`, "center");
  lines.push({ kind: "rule" });
  text(title(invoice, options), "center", true);
  text(copyMark(options), "center", true);
  if (options.cancelled !== undefined) text("*** CANCELLED ***", "center", true);
  pair("Invoice no:", invoice.sellerReference);
  if (invoice.refersTo !== undefined) pair("Against:", invoice.refersTo);
  pair("Date:", invoice.issuedOn);
  pair("Buyer:", invoice.buyer.name);
  if (invoice.buyer.ntnOrCnic !== "") pair("Buyer NTN/CNIC:", invoice.buyer.ntnOrCnic);
  if (invoice.buyer.province !== "") pair("Buyer province:", invoice.buyer.province);
  if (invoice.buyer.address !== "")
    for (const line of wrapReceiptText(`Address: ${invoice.buyer.address}`)) text(line);
  lines.push({ kind: "rule" });
  text(receiptColumns("Item (HS code)", "Amount"), "left", true);
  for (const line of invoice.lines) {
    for (const part of wrapReceiptText(`${line.description} (${line.hsCode})`)) text(part);
    pair(lineDetail(line), money(line.total));
    pair("  sales tax", money(line.salesTax));
    if (!line.furtherTax.isZero()) pair("  further tax", money(line.furtherTax));
    if (!line.extraTax.isZero()) pair("  extra tax", money(line.extraTax));
    if (!line.fed.isZero()) pair("  FED", money(line.fed));
    if (!line.discount.isZero()) pair("  discount", money(line.discount));
  }
  lines.push({ kind: "rule" });
  const { totals } = invoice;
  pair("Value excl. tax", money(totals.valueExcludingTax));
  pair("Sales tax", money(totals.salesTax));
  pair("Further tax", money(totals.furtherTax));
  pair("Extra tax", money(totals.extraTax));
  pair("FED", money(totals.fed));
  pair("Discount", money(totals.discount));
  text(receiptColumns("TOTAL PAYABLE", money(totals.payable)), "left", true);
  for (const part of wrapReceiptText(invoice.amountInWords)) text(part);
  lines.push({ kind: "rule" });
  if (number !== null) {
    text(imsInvoiceNumberCaption(invoice.authority), "center");
    text(number, "center", true);
    if (invoice.fbrDated !== null) text(`${issuer(invoice)} date: ${invoice.fbrDated}`, "center");
    lines.push({ kind: "qr", data: number });
    // An IMS sale closes as the bridge's receipts do: FBR's SRO 1006 statement, or PRA's name.
    if (invoice.channel === "ims")
      for (const part of wrapReceiptText(imsVerificationText(invoice.authority))) text(part, "center");
  } else {
    const by = issuer(invoice);
    for (const part of wrapReceiptText(`Not reported to ${by}: no ${by} invoice number.`))
      text(part, "center");
  }
  if (options.sealShort !== undefined) text(`Seal: ${options.sealShort}`, "center");
  text(`Printed ${printedPkt(options.printedAt)}`, "center");
  return lines;
}

async function renderReceipt(invoice: PrintableInvoice, options: RenderOptions): Promise<Buffer> {
  const PDFDocument = await loadPdfKit();
  const lines = buildInvoiceReceiptLines(invoice, options);
  const geometry = receiptPdfGeometry(QR_SIZE_INCHES * 25.4);
  const qr = new Map<string, Buffer>();
  for (const line of lines) if (line.kind === "qr") qr.set(line.data, await qrImage(line.data));
  const images =
    options.logo === undefined
      ? { qr }
      : { qr, logo: { image: options.logo.image, ...logoSize(PDFDocument, options.logo) } };
  const doc = new PDFDocument({
    size: [geometry.pageWidth, receiptPdfHeight(lines, geometry, images)],
    margin: geometry.margin,
    info: { Title: `Invoice ${invoice.sellerReference}`, Producer: "Raseed gateway" },
  });
  const done = collect(doc);
  drawReceiptLines(doc, lines, geometry, images);
  doc.end();
  return done;
}

// -------------------------------------------------------------------------------------------------------
// A4

const A4_MARGIN = 36;
const A4_WIDTH = 595.28;
const A4_HEIGHT = 841.89;
const QR_POINTS = QR_SIZE_INCHES * 72;

interface Column {
  header: string;
  width: number;
  align: "left" | "right";
  cell(line: PrintableLine, index: number): string;
}

const COLUMNS: Column[] = [
  { header: "#", width: 14, align: "left", cell: (_l, i) => String(i + 1) },
  { header: "HS code", width: 44, align: "left", cell: (l) => l.hsCode },
  { header: "Description", width: 92, align: "left", cell: (l) => l.description },
  { header: "Qty", width: 32, align: "right", cell: (l) => l.quantity },
  { header: "Unit", width: 40, align: "left", cell: (l) => l.unit },
  { header: "Rate", width: 36, align: "left", cell: (l) => l.rate },
  { header: "Value excl. tax", width: 50, align: "right", cell: (l) => money(l.valueExcludingTax) },
  { header: "Sales tax", width: 44, align: "right", cell: (l) => money(l.salesTax) },
  {
    header: "Further / extra tax",
    width: 44,
    align: "right",
    cell: (l) => `${money(l.furtherTax)} / ${money(l.extraTax)}`,
  },
  { header: "FED", width: 36, align: "right", cell: (l) => money(l.fed) },
  { header: "Discount", width: 40, align: "right", cell: (l) => money(l.discount) },
  { header: "Total", width: 51, align: "right", cell: (l) => money(l.total) },
];

function partyBlock(
  doc: PDFKit.PDFDocument,
  heading: string,
  numberLabel: string,
  party: PrintableInvoice["seller"],
  x: number,
  y: number,
  width: number,
): number {
  doc.font("Helvetica-Bold").fontSize(8).text(heading, x, y, { width });
  doc
    .font("Helvetica-Bold")
    .fontSize(9)
    .text(party.name, x, doc.y + 2, { width });
  doc.font("Helvetica").fontSize(8);
  doc.text(`${numberLabel}: ${party.ntnOrCnic === "" ? "-" : party.ntnOrCnic}`, x, doc.y + 1, { width });
  if (party.registration !== undefined) doc.text(`Registration: ${party.registration}`, x, doc.y, { width });
  if (party.province !== "") doc.text(`Province: ${party.province}`, x, doc.y, { width });
  if (party.address !== "") doc.text(`Address: ${party.address}`, x, doc.y, { width });
  return doc.y;
}

function tableHeader(doc: PDFKit.PDFDocument, y: number): number {
  doc.font("Helvetica-Bold").fontSize(6.5);
  let x = A4_MARGIN;
  const height = Math.max(...COLUMNS.map((c) => doc.heightOfString(c.header, { width: c.width - 4 })));
  doc.rect(A4_MARGIN, y - 2, A4_WIDTH - 2 * A4_MARGIN, height + 4).fillAndStroke("#eeeeee", "#999999");
  doc.fillColor("black");
  for (const column of COLUMNS) {
    doc.text(column.header, x + 2, y, { width: column.width - 4, align: column.align });
    x += column.width;
  }
  return y + height + 4;
}

async function renderA4(invoice: PrintableInvoice, options: RenderOptions): Promise<Buffer> {
  const PDFDocument = await loadPdfKit();
  const doc = new PDFDocument({
    size: "A4",
    margin: A4_MARGIN,
    info: { Title: `Invoice ${invoice.sellerReference}`, Producer: "Raseed gateway" },
  });
  const done = collect(doc);
  const contentWidth = A4_WIDTH - 2 * A4_MARGIN;
  const number = fiscalNumber(invoice, options);

  // Header: logo slot (left), title and copy mark (right).
  if (options.logo !== undefined) doc.image(options.logo.image, A4_MARGIN, A4_MARGIN, { fit: [120, 60] });
  doc.font("Helvetica-Bold").fontSize(options.copy === "proforma" ? 14 : 16);
  doc.text(title(invoice, options), A4_MARGIN + 130, A4_MARGIN, {
    width: contentWidth - 130,
    align: "right",
  });
  doc
    .font("Helvetica-Bold")
    .fontSize(10)
    .fillColor(options.copy === "original" ? "black" : "#b00000");
  doc.text(copyMark(options), A4_MARGIN + 130, doc.y + 2, { width: contentWidth - 130, align: "right" });
  doc.fillColor("black");
  if (options.cancelled !== undefined) {
    doc.font("Helvetica-Bold").fontSize(14).fillColor("#b00000");
    doc.text("CANCELLED", A4_MARGIN + 130, doc.y + 2, { width: contentWidth - 130, align: "right" });
    doc.font("Helvetica").fontSize(8);
    doc.text(
      `on ${options.cancelled.at}, IRIS reference ${options.cancelled.irisReference}`,
      A4_MARGIN + 130,
      doc.y,
      {
        width: contentWidth - 130,
        align: "right",
      },
    );
    doc.fillColor("black");
  }
  let y = Math.max(doc.y, A4_MARGIN + 64) + 10;

  // Invoice facts.
  doc.font("Helvetica").fontSize(8.5);
  const facts: [string, string][] = [
    ["Invoice no", invoice.sellerReference],
    ["Invoice date", invoice.issuedOn],
  ];
  if (invoice.refersTo !== undefined) facts.push(["Against invoice", invoice.refersTo]);
  if (invoice.posId !== undefined) facts.push(["POS registration no", String(invoice.posId)]);
  facts.push([`${issuer(invoice)} invoice number`, number ?? `- (not reported to ${issuer(invoice)})`]);
  if (number !== null && invoice.fbrDated !== null) facts.push([`${issuer(invoice)} date`, invoice.fbrDated]);
  for (const [label, value] of facts) {
    doc.font("Helvetica-Bold").text(`${label}:`, A4_MARGIN, y, { width: 110 });
    doc.font("Helvetica").text(value, A4_MARGIN + 110, y, { width: contentWidth - 110 });
    y = doc.y + 1;
  }
  y += 8;

  // Seller and buyer side by side.
  const half = (contentWidth - 20) / 2;
  const sellerEnd = partyBlock(doc, "SELLER", sellerNumberLabel(invoice), invoice.seller, A4_MARGIN, y, half);
  const buyerEnd = partyBlock(doc, "BUYER", "NTN/CNIC", invoice.buyer, A4_MARGIN + half + 20, y, half);
  y = Math.max(sellerEnd, buyerEnd) + 12;

  // Lines.
  y = tableHeader(doc, y);
  doc.font("Helvetica").fontSize(7);
  invoice.lines.forEach((line, index) => {
    const cells = COLUMNS.map((column) => column.cell(line, index));
    const height = Math.max(
      ...COLUMNS.map((column, i) => doc.heightOfString(cells[i] ?? "", { width: column.width - 4 })),
    );
    if (y + height > A4_HEIGHT - A4_MARGIN - 40) {
      doc.addPage();
      y = tableHeader(doc, A4_MARGIN);
      doc.font("Helvetica").fontSize(7);
    }
    let x = A4_MARGIN;
    COLUMNS.forEach((column, i) => {
      doc.text(cells[i] ?? "", x + 2, y, { width: column.width - 4, align: column.align });
      x += column.width;
    });
    y += height + 3;
    doc
      .moveTo(A4_MARGIN, y - 1)
      .lineTo(A4_WIDTH - A4_MARGIN, y - 1)
      .lineWidth(0.3)
      .strokeColor("#cccccc")
      .stroke();
    doc.strokeColor("black");
  });

  // Totals (right) and amount in words (left); the fiscal block (QR, number) below.
  const blockHeight = 7 * 12 + QR_POINTS + 80;
  if (y + blockHeight > A4_HEIGHT - A4_MARGIN) {
    doc.addPage();
    y = A4_MARGIN;
  }
  y += 8;
  const { totals } = invoice;
  const rows: [string, string][] = [
    ["Value excluding sales tax", money(totals.valueExcludingTax)],
    ["Sales tax", money(totals.salesTax)],
    ["Further tax", money(totals.furtherTax)],
    ["Extra tax", money(totals.extraTax)],
    ["FED", money(totals.fed)],
    ["Discount", money(totals.discount)],
    ["Total payable (Rs.)", money(totals.payable)],
  ];
  const totalsX = A4_WIDTH - A4_MARGIN - 220;
  let ty = y;
  rows.forEach(([label, value], i) => {
    const last = i === rows.length - 1;
    doc.font(last ? "Helvetica-Bold" : "Helvetica").fontSize(last ? 9.5 : 8.5);
    doc.text(label, totalsX, ty, { width: 130 });
    doc.text(value, totalsX + 130, ty, { width: 90, align: "right" });
    ty = doc.y + 2;
  });
  doc.font("Helvetica-Bold").fontSize(8.5).text("Amount in words:", A4_MARGIN, y, { width: 250 });
  doc.font("Helvetica").text(invoice.amountInWords, A4_MARGIN, doc.y + 1, { width: 250 });
  y = Math.max(ty, doc.y) + 16;

  // Fiscal block: FBR's QR (1.0 inch) with the number beside it; nothing of it on a proforma.
  if (number !== null) {
    doc.image(await qrImage(number), A4_MARGIN, y, { width: QR_POINTS, height: QR_POINTS });
    const x = A4_MARGIN + QR_POINTS + 12;
    doc
      .font("Helvetica")
      .fontSize(8)
      .text(
        invoice.channel === "ims"
          ? imsInvoiceNumberCaption(invoice.authority)
          : "FBR Digital Invoicing - invoice number",
        x,
        y + 8,
      );
    doc
      .font("Helvetica-Bold")
      .fontSize(12)
      .text(number, x, doc.y + 2);
    if (invoice.fbrDated !== null)
      doc
        .font("Helvetica")
        .fontSize(8)
        .text(`Reported to ${issuer(invoice)} on ${invoice.fbrDated}`, x, doc.y + 2);
    if (invoice.channel === "ims")
      doc
        .font("Helvetica")
        .fontSize(8)
        .text(imsVerificationText(invoice.authority), x, doc.y + 2, { width: contentWidth - QR_POINTS - 12 });
    y += QR_POINTS + 10;
  } else {
    doc.font("Helvetica-Bold").fontSize(10).fillColor("#b00000");
    doc.text(`${PROFORMA_MARK}: ${issuer(invoice)} has not issued an invoice number for it.`, A4_MARGIN, y, {
      width: contentWidth,
    });
    doc.fillColor("black");
    y = doc.y + 10;
  }
  doc.font("Helvetica").fontSize(7).fillColor("#444444");
  if (options.sealShort !== undefined) {
    doc.text(`Seal: ${options.sealShort} (check with raseed audit verify)`, A4_MARGIN, y, {
      width: contentWidth,
    });
    y = doc.y + 2;
  }
  doc.text(
    `Printed ${printedPkt(options.printedAt)} by Raseed. Invoice id ${invoice.invoiceId}.`,
    A4_MARGIN,
    y,
    {
      width: contentWidth,
    },
  );
  doc.fillColor("black");
  doc.end();
  return done;
}

export async function renderInvoicePdf(invoice: PrintableInvoice, options: RenderOptions): Promise<Buffer> {
  return options.format === "a4" ? renderA4(invoice, options) : renderReceipt(invoice, options);
}

/**
 * Rejects when the configured logo is not an image pdfkit can place (checked at start, not at a print; the
 * only time pdfkit is loaded at start).
 */
export async function checkDocumentLogo(logo: DocumentLogo): Promise<void> {
  logoSize(await loadPdfKit(), logo);
}
