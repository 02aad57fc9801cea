// An ERP integration with Raseed's gateway through the sdk's typed client: each sales order becomes an invoice,
// sent once (the order number is the idempotency key, so a crash and re-run never reports a sale twice), and the
// FBR invoice number is written back to the order. packages/gateway/test/typed-client.test.ts runs it against a
// real gateway. Run it yourself:
//   RASEED_URL=http://127.0.0.1:8080 RASEED_API_KEY=$(cat data/demo-api-key) \
//     node --conditions=@raseed/source --import tsx examples/erp-sync.ts
import { pathToFileURL } from "node:url";
import { type GatewayInvoice, GatewayValidationError, RaseedGateway } from "@raseed/sdk";

/** A sales order as the ERP keeps it. */
export interface SalesOrder {
  orderNo: string;
  date: string; // YYYY-MM-DD
  customer: { ntn: string; name: string; province: string; address: string };
  lines: { hsCode: string; description: string; quantity: number; unitPrice: string }[];
  /** Written back once FBR has accepted the invoice. */
  fbrInvoiceNumber?: string;
  /** Written back when the gateway refused the invoice (fix the order, then sync again). */
  problems?: string[];
}

/** Sends every order not yet reported; answers the gateway's view of each. */
export async function syncOrders(gateway: RaseedGateway, orders: SalesOrder[]): Promise<GatewayInvoice[]> {
  const results: GatewayInvoice[] = [];
  for (const order of orders.filter((o) => o.fbrInvoiceNumber === undefined)) {
    try {
      const invoice = await gateway.invoices.create(
        {
          externalRef: order.orderNo,
          draft: {
            date: order.date,
            scenarioId: "SN001", // sandbox only; production ignores it
            buyer: {
              ntnCnic: order.customer.ntn,
              businessName: order.customer.name,
              province: order.customer.province,
              address: order.customer.address,
              registrationType: "Registered",
            },
            lines: order.lines.map((line) => ({
              hsCode: line.hsCode,
              description: line.description,
              uoM: "Numbers, pieces, units",
              quantity: line.quantity,
              unitPrice: line.unitPrice,
              saleType: "Goods at standard rate (default)",
              rate: "18%",
            })),
          },
        },
        { idempotencyKey: order.orderNo, wait: 10 },
      );
      if (invoice.fbrInvoiceNumber !== null) order.fbrInvoiceNumber = invoice.fbrInvoiceNumber;
      results.push(invoice);
    } catch (error) {
      if (!(error instanceof GatewayValidationError)) throw error;
      order.problems = error.issues.map((issue) => `${issue.code} ${issue.path ?? ""}: ${issue.message}`);
    }
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const gateway = new RaseedGateway({
    baseUrl: process.env.RASEED_URL ?? "http://127.0.0.1:8080",
    apiKey: process.env.RASEED_API_KEY ?? "",
  });
  const today = new Date().toISOString().slice(0, 10);
  const orders: SalesOrder[] = [
    {
      orderNo: `SO-${Date.now()}`,
      date: today,
      customer: { ntn: "2046004", name: "Buyer Ltd", province: "Sindh", address: "Karachi" },
      lines: [{ hsCode: "0101.2100", description: "Widget", quantity: 4, unitPrice: "250" }],
    },
  ];
  for (const invoice of await syncOrders(gateway, orders)) {
    console.log(invoice.externalRef, invoice.state, invoice.fbrInvoiceNumber ?? invoice.reason ?? "");
  }
  for await (const invoice of gateway.invoices.list({ state: "accepted", limit: 20 })) {
    console.log("accepted:", invoice.externalRef, invoice.fbrInvoiceNumber);
  }
}
