import type { SellerIdentity } from "../src/index.ts";
import { DEMO_WORLD } from "../src/index.ts";

export const DEMO_SELLER: SellerIdentity = {
  ntn: DEMO_WORLD.seller.ntn,
  businessName: DEMO_WORLD.seller.businessName,
  province: DEMO_WORLD.seller.province,
  address: DEMO_WORLD.seller.address,
};

export const SANDBOX_AUTH = { authorization: `Bearer ${DEMO_WORLD.seller.sandboxToken}` };
export const PRODUCTION_AUTH = { authorization: `Bearer ${DEMO_WORLD.seller.productionToken}` };
export const IMS_AUTH = { authorization: `Bearer ${DEMO_WORLD.posTerminal.token}` };

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; json: unknown; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

export async function listInvoices(
  baseUrl: string,
): Promise<{ invoiceNumber: string; postCount: number; answerDropped: boolean; channel: string }[]> {
  const response = await fetch(`${baseUrl}/__sim/invoices`);
  const body = (await response.json()) as {
    invoices: { invoiceNumber: string; postCount: number; answerDropped: boolean; channel: string }[];
  };
  return body.invoices;
}
