// Who is this buyer to FBR? STATL + Get_Reg_Type through the sdk (checkBuyerRegistration), answered once
// per tenant, buyer and Pakistan calendar day: STATL is asked "on a date", and FBR's register changes
// rarely within a day. One service for the API route (GET /v1/buyers/:ntnOrCnic) and the dashboard.
import {
  type BuyerRegistrationCheck,
  checkBuyerRegistration,
  formatFbrIsoDate,
  normaliseBuyerId,
  ReferenceClient,
} from "@raseed/sdk";
import type { TenantRow } from "../store/schema.ts";
import { type FbrConnections, fbrConnectionsOf } from "../tenants/fbr-connections.ts";
import { transportFingerprint } from "../tenants/transport.ts";

/** Answers kept at most; beyond it the oldest go first (a day's answers for a busy gateway fit easily). */
const MAX_CACHED_ANSWERS = 10_000;

export interface BuyerLookupOptions {
  /** Each tenant's origin, token and transport (proxy, client certificate) for FBR. */
  connections: FbrConnections;
  fbrTimeoutMs: number;
  /** Injected clock, so tests can cross midnight in Pakistan. */
  now?: () => Date;
}

export interface BuyerLookupAnswer extends BuyerRegistrationCheck {
  /** When FBR was asked (ISO); an answer from the cache keeps the time of the original question. */
  checkedAt: string;
  /** True when this answer was served from the day's cache. */
  cached: boolean;
}

export class BuyerLookup {
  readonly #options: BuyerLookupOptions;
  readonly #now: () => Date;
  readonly #answers = new Map<string, Promise<BuyerLookupAnswer>>();
  #day = "";

  constructor(options: BuyerLookupOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** The buyer number the lookup will use, or undefined when FBR's lookups cannot take it. */
  static normalise(ntnOrCnic: string): string | undefined {
    return normaliseBuyerId(ntnOrCnic);
  }

  /**
   * FBR's answer for `ntnOrCnic` today (Pakistan day). Throws the sdk's ReferenceApiError when the number
   * is malformed, FBR refuses the token, or neither lookup answers; a failure is not cached.
   */
  async lookup(tenant: TenantRow, ntnOrCnic: string): Promise<BuyerLookupAnswer> {
    const now = this.#now();
    const day = formatFbrIsoDate(now);
    // Yesterday's answers are worthless today.
    if (day !== this.#day) {
      this.#answers.clear();
      this.#day = day;
    }
    // The stored token and transport are part of the key: a tenant whose credentials changed asks FBR again.
    const key = `${tenant.id}:${transportFingerprint(tenant)}:${normaliseBuyerId(ntnOrCnic) ?? ntnOrCnic}`;
    const cached = this.#answers.get(key);
    if (cached !== undefined) return { ...(await cached), cached: true };

    const client = new ReferenceClient({
      ...this.#options.connections.forTenant(tenant),
      timeoutMs: this.#options.fbrTimeoutMs,
      // The day cache is this service's; the client's own 24-hour cache would outlive the day.
      ttlMs: 0,
    });
    const pending = checkBuyerRegistration(client, ntnOrCnic, { date: now }).then((check) => ({
      ...check,
      checkedAt: now.toISOString(),
      cached: false,
    }));
    this.#remember(key, pending);
    return pending;
  }

  #remember(key: string, pending: Promise<BuyerLookupAnswer>): void {
    if (this.#answers.size >= MAX_CACHED_ANSWERS) {
      const oldest = this.#answers.keys().next().value;
      if (oldest !== undefined) this.#answers.delete(oldest);
    }
    this.#answers.set(key, pending);
    pending.catch(() => this.#answers.delete(key));
  }
}

const lookups = new WeakMap<object, BuyerLookup>();

/**
 * The app's one BuyerLookup (one day cache shared by the API and the dashboard): `deps.buyers` when the
 * composition root gave one, else one made from the config on first use.
 */
export function buyerLookupOf(
  deps: Parameters<typeof fbrConnectionsOf>[0] & {
    buyers?: BuyerLookup;
    config: { fbrTimeoutMs: number };
  },
): BuyerLookup {
  if (deps.buyers !== undefined) return deps.buyers;
  let lookup = lookups.get(deps);
  if (lookup === undefined) {
    lookup = new BuyerLookup({
      connections: fbrConnectionsOf(deps),
      fbrTimeoutMs: deps.config.fbrTimeoutMs,
    });
    lookups.set(deps, lookup);
  }
  return lookup;
}
