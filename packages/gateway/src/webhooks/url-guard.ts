// Webhook URLs are chosen by API clients, and the delivery log echoes each answer's status and error back
// to them: without a guard, a tenant could make the gateway probe its own network (cloud metadata at
// 169.254.169.254, databases on 10.x, admin ports on localhost). Unless the operator opts in with
// `webhookAllowPrivateNetworks`, a webhook must be https and every address its host resolves to public.
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network", unspecified
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (cloud metadata)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["64:ff9b::", 96], // NAT64 (embeds IPv4)
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

/** True for loopback, link-local, private, unspecified and other non-public addresses. */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return isNonPublicAddress(mapped[1]);
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family === 6) return blocked.check(address, "ipv6");
  return true;
}

export class WebhookUrlRefused extends Error {
  override readonly name = "WebhookUrlRefused";
}

/**
 * Refuses a webhook URL the gateway must not call. With `allowPrivateNetworks` any http(s) URL passes
 * (receivers on the operator's own network, tests on 127.0.0.1).
 */
export async function assertWebhookUrlAllowed(
  url: URL,
  options: { allowPrivateNetworks: boolean; resolve?: (host: string) => Promise<string[]> },
): Promise<void> {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new WebhookUrlRefused("url must be an absolute http(s) URL");
  }
  if (options.allowPrivateNetworks) return;
  if (url.protocol !== "https:") {
    // Deliveries carry invoice data and a signature: only over TLS to a public receiver.
    throw new WebhookUrlRefused(
      "url must be https (plain http is allowed only with webhookAllowPrivateNetworks)",
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await (options.resolve ?? resolveAll)(host);
    } catch {
      throw new WebhookUrlRefused(`the webhook host ${host} cannot be resolved`);
    }
  }
  if (addresses.length === 0 || addresses.some(isNonPublicAddress)) {
    throw new WebhookUrlRefused(
      `the webhook host ${host} is a loopback, link-local, private or unspecified address; ` +
        "webhooks go to public receivers only (an operator can allow private networks with webhookAllowPrivateNetworks)",
    );
  }
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
}
