// An invoice as XML, for archive systems that take XML (`raseed archive export --format xml`). FBR itself
// takes JSON only (PRAL DI API v1.12, IMS PostData): this rendering is never sent anywhere, and the archive
// always keeps the exact JSON bytes beside it. Element names are FBR's own field names; a list (DI `items`,
// IMS `Items`) repeats its element once per line.
import { XMLBuilder } from "fast-xml-parser";
import type { InvoiceRow } from "../store/schema.ts";

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: false,
});

export function invoiceAsXml(row: InvoiceRow): string {
  const document = {
    "?xml": { "@version": "1.0", "@encoding": "UTF-8" },
    invoice: {
      "@xmlns": "urn:raseed:archive:invoice:1",
      "@id": row.id,
      "@channel": row.channel,
      "@state": row.state,
      fbrInvoiceNumber: row.fbr_invoice_number ?? "",
      fbrDated: row.fbr_dated ?? "",
      receivedAt: row.created_at,
      payload: JSON.parse(row.payload) as unknown,
    },
  };
  return builder.build(document) as string;
}
