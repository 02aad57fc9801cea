// Webhook URLs are chosen by API clients, and the delivery log echoes each answer's status and error back
// to them: without a guard, a tenant could make the gateway probe its own network (cloud metadata at
// 169.254.169.254, databases on 10.x, admin ports on localhost). Unless the operator opts in with
// `webhookAllowPrivateNetworks`, a webhook must be https and every address its host resolves to public.
//
// The host is resolved once, here, and the delivery connects to exactly the addresses that were checked
// (`vetted.lookup` pins the socket's DNS): a second resolution at connect time would let a rebinding DNS
// server answer "public" to the check and "127.0.0.1" to the connection (issue 13).

import type { LookupAddress, LookupOptions } from "node:dns";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** IANA allocates global unicast IPv6 from 2000::/3 only; ipaddr.js calls everything it has no name for "unicast". */
const globalUnicastV6 = ipaddr.parseCIDR("2000::/3");

/**
 * True for every address that is not plainly public: loopback, private, link-local, carrier-grade NAT,
 * multicast, reserved, and IPv6 forms that embed or tunnel to IPv4 (IPv4-mapped and -compatible, NAT64,
 * 6to4, Teredo, rfc6145) or are deprecated (site-local fec0::/10). ipaddr.js names the ranges; only its
 * plain "unicast" passes, and for IPv6 only inside 2000::/3.
 */
export function isNonPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  // process() turns ::ffff:a.b.c.d and ::a.b.c.d into the IPv4 address they carry.
  const parsed = ipaddr.process(address);
  if (parsed.range() !== "unicast") return true;
  return parsed.kind() === "ipv6" && !parsed.match(globalUnicastV6);
}

export class WebhookUrlRefused extends Error {
  override readonly name = "WebhookUrlRefused";
}

export type ResolveHost = (host: string) => Promise<string[]>;

/** A URL that passed the guard and the addresses it was checked against. */
export interface VettedWebhookTarget {
  url: URL;
  /** What the host resolved to when it was checked (the literal address for an IP host). */
  addresses: string[];
  /** A `net.connect` lookup that answers only with `addresses` and never asks DNS again. */
  lookup: PinnedLookup;
}

type PinnedLookup = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

function pinnedLookup(addresses: string[]): PinnedLookup {
  return (_hostname, options, callback) => {
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family;
    const usable = addresses
      .map((address) => ({ address, family: isIP(address) }))
      .filter((entry) => family === undefined || family === 0 || entry.family === family);
    const first = usable[0];
    if (first === undefined) {
      const error: NodeJS.ErrnoException = new Error("no vetted address of the requested family");
      error.code = "ENOTFOUND";
      callback(error, []);
    } else if (options.all === true) callback(null, usable);
    else callback(null, first.address, first.family);
  };
}

/**
 * Checks a webhook URL and returns the addresses to connect to. With `allowPrivateNetworks` any http(s)
 * URL passes (receivers on the operator's own network, tests on 127.0.0.1), but the host is still
 * resolved once and pinned, so the address logged is the address called.
 */
export async function vetWebhookUrl(
  url: URL,
  options: { allowPrivateNetworks: boolean; resolve?: ResolveHost },
): Promise<VettedWebhookTarget> {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new WebhookUrlRefused("url must be an absolute http(s) URL");
  }
  if (!options.allowPrivateNetworks && url.protocol !== "https:") {
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
    if (addresses.length === 0) throw new WebhookUrlRefused(`the webhook host ${host} cannot be resolved`);
  }
  if (!options.allowPrivateNetworks && addresses.some(isNonPublicAddress)) {
    throw new WebhookUrlRefused(
      `the webhook host ${host} is a loopback, link-local, private or unspecified address; ` +
        "webhooks go to public receivers only (an operator can allow private networks with webhookAllowPrivateNetworks)",
    );
  }
  return { url, addresses, lookup: pinnedLookup(addresses) };
}

/** Refuses a webhook URL the gateway must not call (registration: the answer is not kept). */
export async function assertWebhookUrlAllowed(
  url: URL,
  options: { allowPrivateNetworks: boolean; resolve?: ResolveHost },
): Promise<void> {
  // An operator who allows private networks may register a name that resolves only where it is delivered.
  if (options.allowPrivateNetworks && (url.protocol === "http:" || url.protocol === "https:")) return;
  await vetWebhookUrl(url, options);
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
}
