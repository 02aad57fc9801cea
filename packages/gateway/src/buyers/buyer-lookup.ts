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
import { sha256Hex } from "../store/ids.ts";
import type { TenantRow } from "../store/schema.ts";
import { tenantFbrToken } from "../tenants/tenants.ts";

/** Answers kept at most; beyond it the oldest go first (a day's answers for a busy gateway fit easily). */
const MAX_CACHED_ANSWERS = 10_000;

export interface BuyerLookupOptions {
  /** FBR origin (the simulator's URL in tests and demo). */
  fbrUrl: string;
  fbrTimeoutMs: number;
  masterKey: Buffer;
  /** The transport for FBR calls of this tenant (proxy/mTLS aware); global fetch when absent. */
  fetchFor?: (tenant: TenantRow) => typeof fetch;
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
    const token = tenantFbrToken(this.#options.masterKey, tenant);
    // The token's hash is part of the key: a tenant whose token changed asks FBR again.
    const key = `${tenant.id}:${sha256Hex(token)}:${normaliseBuyerId(ntnOrCnic) ?? ntnOrCnic}`;
    const cached = this.#answers.get(key);
    if (cached !== undefined) return { ...(await cached), cached: true };

    const client = new ReferenceClient({
      token,
      baseUrl: this.#options.fbrUrl,
      timeoutMs: this.#options.fbrTimeoutMs,
      // The day cache is this service's; the client's own 24-hour cache would outlive the day.
      ttlMs: 0,
      ...(this.#options.fetchFor !== undefined ? { fetch: this.#options.fetchFor(tenant) } : {}),
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
export function buyerLookupOf(deps: {
  buyers?: BuyerLookup;
  config: { fbrUrl: string; fbrTimeoutMs: number };
  masterKey: Buffer;
  fetch?: typeof fetch;
}): BuyerLookup {
  if (deps.buyers !== undefined) return deps.buyers;
  let lookup = lookups.get(deps);
  if (lookup === undefined) {
    const transport = deps.fetch;
    lookup = new BuyerLookup({
      fbrUrl: deps.config.fbrUrl,
      fbrTimeoutMs: deps.config.fbrTimeoutMs,
      masterKey: deps.masterKey,
      ...(transport !== undefined ? { fetchFor: () => transport } : {}),
    });
    lookups.set(deps, lookup);
  }
  return lookup;
}
