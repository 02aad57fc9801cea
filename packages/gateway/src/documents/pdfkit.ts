// pdfkit (its font parser, the standard fonts' metrics, zlib streams) is loaded on the first print, not when
// the gateway starts: most gateway processes print rarely or never, and loaded it holds about 5 MB of heap
// for the life of the process (issue 11's memory goals).
import type PDFKitDocument from "pdfkit";

export type PdfKit = typeof PDFKitDocument;

let loading: Promise<PdfKit> | undefined;

/** pdfkit's PDFDocument class, imported once on first use. */
export function loadPdfKit(): Promise<PdfKit> {
  loading ??= import("pdfkit").then((module) => module.default);
  return loading;
}
