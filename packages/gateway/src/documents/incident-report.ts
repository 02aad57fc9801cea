// The printable incident report (issue 9): what a person sends to the Commissioner when a failure stopped
// reporting (due within 24 hours, FBR-SPEC §15). FBR prescribes no form, so it states plainly what the rule
// needs: who (seller, NTN), what failed and why, from when to when, which invoices were affected, and when
// the report is due. Times are printed in Pakistan time, as FBR dates are.
import { pakistanDateTime } from "@raseed/sdk";
import type { IncidentView } from "../records/incidents.ts";
import type { TenantRow } from "../store/schema.ts";
import { loadPdfKit } from "./pdfkit.ts";
import { collect } from "./render.ts";

const MARGIN = 50;
const WIDTH = 595.28 - 2 * MARGIN;
/** Invoice ids listed on the report; beyond these the count says how many more there are. */
const MAX_LISTED = 60;

function pkt(iso: string): string {
  return `${pakistanDateTime(Date.parse(iso))} PKT`;
}

function duration(fromIso: string, toIso: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

export async function renderIncidentReport(
  incident: IncidentView,
  tenant: Pick<TenantRow, "name" | "ntn" | "province" | "address">,
  options: { printedAt: string },
): Promise<Buffer> {
  const PDFDocument = await loadPdfKit();
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    info: { Title: `Incident report ${incident.id}`, Producer: "Raseed gateway" },
  });
  const done = collect(doc);
  doc.font("Helvetica-Bold").fontSize(16).text("INCIDENT REPORT", { width: WIDTH });
  doc.font("Helvetica").fontSize(10).fillColor("#444");
  doc.text(
    "Failure affecting the reporting of sales tax invoices to FBR (to the Commissioner Inland Revenue)",
  );
  doc.fillColor("black").moveDown();

  const rows: [string, string][] = [
    ["Seller", tenant.name],
    ["NTN / CNIC", tenant.ntn],
    ["Province", tenant.province],
    ["Address", tenant.address],
    ["Incident", `${incident.title} (${incident.id})`],
    ["Cause", incident.cause],
    ["Started", pkt(incident.openedAt)],
    [
      "Ended",
      incident.closedAt === null
        ? "still open"
        : `${pkt(incident.closedAt)} (lasted ${duration(incident.openedAt, incident.closedAt)})`,
    ],
    ["Invoices affected", String(incident.invoicesAffected)],
    ["Report due by", `${pkt(incident.reportBy)} (24 hours from the start)`],
  ];
  for (const [label, value] of rows) {
    const y = doc.y;
    doc.font("Helvetica-Bold").fontSize(10).text(label, MARGIN, y, { width: 120 });
    doc.font("Helvetica").text(value, MARGIN + 125, y, { width: WIDTH - 125 });
    doc.moveDown(0.4);
  }

  if (incident.invoiceIds.length > 0) {
    doc.moveDown().font("Helvetica-Bold").text("Invoices affected", MARGIN, doc.y, { width: WIDTH });
    doc.font("Courier").fontSize(9);
    const listed = incident.invoiceIds.slice(0, MAX_LISTED);
    doc.text(listed.join("\n"), { width: WIDTH });
    if (incident.invoiceIds.length > listed.length)
      doc.font("Helvetica").text(`... and ${incident.invoiceIds.length - listed.length} more`);
  }

  doc.moveDown(2).font("Helvetica").fontSize(10);
  doc.text(
    "Invoices issued while reporting was stopped are kept by Raseed and reported to FBR when the cause " +
      "clears; each keeps its own FBR number once FBR accepts it. Raseed's audit log holds this incident's " +
      "opening and closing entries.",
    MARGIN,
    doc.y,
    { width: WIDTH },
  );
  doc.moveDown(3).text("Name and signature: ______________________________      Date: ______________");
  doc
    .moveDown(2)
    .fontSize(8)
    .fillColor("#666")
    .text(`Printed ${pkt(options.printedAt)} by Raseed`);
  doc.end();
  return done;
}
