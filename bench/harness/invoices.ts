// The invoices the bench sends and stores: 5-line DI invoices built from the simulator's SN001 scenario for
// the demo seller, as a new user's ERP would send them.
import { scenarioPayloadForSeller } from "@raseed/simulator";

export const SELLER = { ntn: "7000007", businessName: "Demo Traders", province: "Sindh", address: "Karachi" };

/**
 * A 5-line invoice; `tag` goes into each line's description. Dated in five hours so it is never held for
 * FBR's UTC day (an invoice dated today before 05:00 PKT waits until then; spec/README.md).
 */
export function fiveLineInvoice(tag: string): Record<string, unknown> {
  const base = scenarioPayloadForSeller("SN001", SELLER) as Record<string, unknown> & {
    items: Record<string, unknown>[];
  };
  const item = base.items[0] as Record<string, unknown>;
  return {
    ...base,
    invoiceDate: new Date(Date.now() + 5 * 3_600_000).toISOString().slice(0, 10),
    items: Array.from({ length: 5 }, (_, i) => ({ ...item, productDescription: `${tag} line ${i + 1}` })),
  };
}
