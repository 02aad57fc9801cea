// A real gateway (HTTP on 127.0.0.1, real store, real worker) posting to a real simulator over HTTP.
// Faults are requested per invoice through the simulator's X-Sim-Fault header, added by a wrapper around
// fetch (the injected transport); everything else is the production code path.

import { randomBytes } from "node:crypto";
import { type RunningSimulator, scenarioPayloadForSeller, startSimulator } from "@raseed/simulator";
import { type Logger, pino } from "pino";
import { type GatewayConfig, loadConfig } from "../src/config.ts";
import type { ObservedResponse } from "../src/http/openapi.ts";
import type { FbrNumberLookup } from "../src/invoices/reconcile.ts";
import { type RunningGateway, startGateway } from "../src/main.ts";
import { openStore } from "../src/store/database.ts";
import { parseMasterKey } from "../src/tenants/secret-box.ts";
import { addTenant, createApiKey } from "../src/tenants/tenants.ts";
import { type EngineName, postgresUrl, tempDir } from "./helpers.ts";

export const SELLER_A = {
  ntn: "7000007",
  name: "Demo Traders",
  province: "Sindh",
  address: "Karachi",
  token: "sandbox-demo-token",
};
export const SELLER_B = {
  ntn: "7100001",
  name: "Second Traders",
  province: "Punjab",
  address: "Lahore",
  token: "sandbox-second-token",
};

/**
 * Every (route, status) the tests of this file saw, and those the OpenAPI document does not list: a test
 * gateway refuses to close while one is undocumented, so a new status without its documentation fails the test
 * that produced it.
 */
export const observedResponses = new Map<string, ObservedResponse>();
const undocumented = new Set<string>();
function observeResponse(response: ObservedResponse): void {
  const key = `${response.method} ${response.route} ${response.status}`;
  observedResponses.set(key, response);
  if (!response.documented) undocumented.add(key);
}

/** Throws when a test saw an answer the OpenAPI document does not list (then forgets it). */
export function assertEveryResponseDocumented(): void {
  if (undocumented.size === 0) return;
  const list = [...undocumented].sort();
  undocumented.clear();
  throw new Error(`answers missing from the OpenAPI document (method route status):\n  ${list.join("\n  ")}`);
}

/** Faults keyed by the first item's productDescription, which test invoices make unique. */
export class FaultPlan {
  readonly byDescription = new Map<string, string>();
  /** Canned FBR answers at the transport, for shapes the simulator cannot be asked for. */
  readonly cannedByDescription = new Map<string, { status: number; body: unknown }>();
  /** Applied to every post while set. */
  everyPost: string | undefined;
  /** Called as each post starts, with its first item's productDescription. */
  onPost: ((description: string | undefined) => void) | undefined;
  /** Posts held on the wire (FBR taking its time) until their release, by description. */
  private readonly held = new Map<string, Promise<void>>();

  /** Holds the posts of `description` on the wire until the function returned is called. */
  hold(description: string): () => void {
    let release = () => {};
    this.held.set(
      description,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return () => {
      this.held.delete(description);
      release();
    };
  }

  /** Posts on the wire right now, and the most seen at once, per seller NTN. */
  readonly inFlightBySeller = new Map<string, number>();
  readonly maxInFlightBySeller = new Map<string, number>();
  private readonly inFlightWaiters = new Set<{ seller: string; count: number; resolve: () => void }>();

  /** Resolves once `count` posts of the seller are on the wire at once (an event, not a clock). */
  untilInFlight(seller: string, count: number): Promise<void> {
    if ((this.inFlightBySeller.get(seller) ?? 0) >= count) return Promise.resolve();
    return new Promise((resolve) => this.inFlightWaiters.add({ seller, count, resolve }));
  }

  private sellerOf(body: string | undefined): string | undefined {
    if (body === undefined) return undefined;
    try {
      return (JSON.parse(body) as { sellerNTNCNIC?: string }).sellerNTNCNIC;
    } catch {
      return undefined;
    }
  }

  wrap(inner: typeof fetch): typeof fetch {
    const counted = this.wrapFaults(inner);
    return async (input, init) => {
      const seller = this.sellerOf(typeof init?.body === "string" ? init.body : undefined);
      if (seller === undefined) return counted(input, init);
      const now = (this.inFlightBySeller.get(seller) ?? 0) + 1;
      this.inFlightBySeller.set(seller, now);
      this.maxInFlightBySeller.set(seller, Math.max(now, this.maxInFlightBySeller.get(seller) ?? 0));
      for (const waiter of this.inFlightWaiters) {
        if (waiter.seller !== seller || now < waiter.count) continue;
        this.inFlightWaiters.delete(waiter);
        waiter.resolve();
      }
      const description = this.descriptionOf(typeof init?.body === "string" ? init.body : undefined);
      this.onPost?.(description);
      try {
        if (description !== undefined) await this.held.get(description);
        return await counted(input, init);
      } finally {
        this.inFlightBySeller.set(seller, (this.inFlightBySeller.get(seller) ?? 1) - 1);
      }
    };
  }

  private wrapFaults(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const headers = new Headers(init?.headers);
      const body = typeof init?.body === "string" ? init.body : undefined;
      const canned = this.cannedFor(body);
      if (canned !== undefined) {
        return new Response(JSON.stringify(canned.body), {
          status: canned.status,
          headers: { "content-type": "application/json" },
        });
      }
      const fault = this.faultFor(body);
      if (fault !== undefined) headers.set("X-Sim-Fault", fault);
      return inner(input, { ...init, headers });
    };
  }

  private descriptionOf(body: string | undefined): string | undefined {
    if (body === undefined) return undefined;
    try {
      const parsed = JSON.parse(body) as { items?: { productDescription?: string }[] };
      return parsed.items?.[0]?.productDescription;
    } catch {
      return undefined;
    }
  }

  private cannedFor(body: string | undefined): { status: number; body: unknown } | undefined {
    const description = this.descriptionOf(body);
    return description === undefined ? undefined : this.cannedByDescription.get(description);
  }

  private faultFor(body: string | undefined): string | undefined {
    if (this.everyPost !== undefined) return this.everyPost;
    const description = this.descriptionOf(body);
    return description === undefined ? undefined : this.byDescription.get(description);
  }
}

let counter = 0;

/**
 * Today as FBR judges invoiceDate: the UTC calendar day (integrators report 0043 for an invoice dated
 * today before 05:00 Pakistan time; the simulator judges the UTC day by default). Never after Pakistan's
 * day, so an invoice dated this way is valid at any hour and never held by the gateway.
 */
export function fbrToday(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A valid SN001 sale for the seller, unique by its first item's description. */
export function sampleInvoice(
  seller: { ntn: string; name: string; province: string; address: string } = SELLER_A,
  tag?: string,
  scenarioId = "SN001",
) {
  counter += 1;
  const base = scenarioPayloadForSeller(scenarioId, {
    ntn: seller.ntn,
    businessName: seller.name,
    province: seller.province,
    address: seller.address,
  }) as Record<string, unknown> & { items: Record<string, unknown>[] };
  const description = tag ?? `test item ${process.pid}-${counter}-${randomBytes(3).toString("hex")}`;
  return {
    ...base,
    invoiceDate: fbrToday(),
    items: base.items.map((item, index) =>
      index === 0 ? { ...item, productDescription: description } : item,
    ),
  };
}

/** Response bodies in tests are checked field by field, so they are loosely typed on purpose. */
// biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test, asserted field by field
export type Loose = any;

export interface TestGateway {
  gateway: RunningGateway;
  simulator: RunningSimulator;
  faults: FaultPlan;
  url: string;
  masterKey: Buffer;
  tenantA: string;
  tenantB: string;
  keyA: string;
  keyB: string;
  dataDir: string;
  db: string;
  call(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string },
  ): Promise<{ status: number; body: Loose; text: string; headers: Headers }>;
  waitFor(key: string, id: string, states: string[], timeoutMs?: number): Promise<Loose>;
  close(): Promise<void>;
}

export async function startTestGateway(
  engine: EngineName,
  overrides: Record<string, unknown> = {},
  /** Applied after validation: for tests that must run a configuration loadConfig refuses. */
  uncheckedConfig: Partial<GatewayConfig> = {},
  /** A logger to read what the gateway logs (silent by default); the incident register's clock. */
  options: { logger?: Logger; incidentClock?: () => Date } = {},
): Promise<TestGateway> {
  const simulator = await startSimulator({
    port: 0,
    config: {
      sellers: [
        {
          ntn: SELLER_B.ntn,
          businessName: SELLER_B.name,
          province: SELLER_B.province,
          sandboxToken: SELLER_B.token,
          // Only SN001 is assigned, so any other scenario draws FBR's header-level 0203 rejection.
          scenarios: ["SN001"],
        },
      ],
    },
  });
  const dir = tempDir();
  const masterKeyHex = randomBytes(32).toString("hex");
  const db =
    engine === "sqlite"
      ? `${dir.path}/raseed.db`
      : `${postgresUrl()}?schema=t_${randomBytes(6).toString("hex")}`;
  const checked = loadConfig({
    flags: {
      port: 0,
      dataDir: dir.path,
      db,
      fbrUrl: simulator.url,
      masterKey: masterKeyHex,
      pollIntervalMs: 20,
      maxRetryDelayMs: 100,
      breakerThreshold: 1000,
      breakerCooldownMs: 100,
      fbrTimeoutMs: 2_000,
      leaseMs: 5_000,
      drainTimeoutMs: 2_000,
      logLevel: "silent",
      // Test webhook receivers listen on 127.0.0.1.
      webhookAllowPrivateNetworks: true,
      ...overrides,
    },
    env: {},
  });
  const config: GatewayConfig = Object.freeze({ ...checked, ...uncheckedConfig });
  const faults = new FaultPlan();
  const gateway = await startGateway(config, {
    fetch: faults.wrap(fetch),
    logger: options.logger ?? pino({ level: "silent" }),
    fbrNumberLookup: simulatorNumberLookup(simulator),
    ...(options.incidentClock !== undefined ? { incidentClock: options.incidentClock } : {}),
    observeResponse,
  });
  const masterKey = parseMasterKey(masterKeyHex);
  const a = await addTenant(gateway.store.db, masterKey, {
    ...SELLER_A,
    environment: "sandbox",
    fbrToken: SELLER_A.token,
  });
  const b = await addTenant(gateway.store.db, masterKey, {
    ...SELLER_B,
    environment: "sandbox",
    fbrToken: SELLER_B.token,
  });
  const keyA = (await createApiKey(gateway.store.db, a.id)).key;
  const keyB = (await createApiKey(gateway.store.db, b.id)).key;

  const call: TestGateway["call"] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key ?? keyA;
    if (key !== "") headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    } else if (options.raw !== undefined && headers["content-type"] === undefined) {
      headers["content-type"] = "application/json";
    }
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed, text, headers: response.headers };
  };

  // Waits on the gateway's own state-change events instead of the clock (a loaded CI machine makes any
  // deadline a coin toss); the API read confirms the state as a client sees it. A change made by another
  // process emits nothing here, so each round also ends after a short fallback; rounds are bounded by count.
  const waitFor: TestGateway["waitFor"] = async (key, id, states, timeoutMs = 15_000) => {
    const rounds = Math.ceil(timeoutMs / 25);
    let last: Loose;
    for (let round = 0; round < rounds; round += 1) {
      let onChange: ((change: { invoiceId: string }) => void) | undefined;
      let fallback: NodeJS.Timeout | undefined;
      const changed = new Promise<void>((resolve) => {
        onChange = (change) => {
          if (change.invoiceId === id) resolve();
        };
        gateway.events.on("invoice.state_changed", onChange);
        fallback = setTimeout(resolve, 25);
      });
      try {
        last = (await call("GET", `/v1/invoices/${id}`, { key })).body;
        if (states.includes(last?.state)) return last;
        await changed;
      } finally {
        clearTimeout(fallback);
        if (onChange !== undefined) gateway.events.off("invoice.state_changed", onChange);
      }
    }
    throw new Error(`invoice ${id} did not reach ${states.join("/")} (last: ${JSON.stringify(last)})`);
  };

  return {
    gateway,
    simulator,
    faults,
    url: gateway.url,
    masterKey,
    tenantA: a.id,
    tenantB: b.id,
    keyA,
    keyB,
    dataDir: dir.path,
    db,
    call,
    waitFor,
    close: async () => {
      await gateway.close();
      await simulator.close();
      dir.remove();
      assertEveryResponseDocumented();
    },
  };
}

export interface SimInvoice {
  channel: string;
  invoiceNumber: string;
  sellerNTNCNIC?: string;
  postCount: number;
  payloadHash: string;
}

/** The simulator's record of the numbers it issued, standing in for a person's look in IRIS (tests only). */
export function simulatorNumberLookup(simulator: RunningSimulator): FbrNumberLookup {
  return {
    async find(channel, fbrInvoiceNumber) {
      const response = await fetch(`${simulator.url}/__sim/invoices?channel=${channel}`);
      const { invoices } = (await response.json()) as {
        invoices: { invoiceNumber: string; sellerNTNCNIC?: string; POSID?: string }[];
      };
      const found = invoices.find((invoice) => invoice.invoiceNumber === fbrInvoiceNumber);
      if (found === undefined) return { issued: false };
      return {
        issued: true,
        ...(found.sellerNTNCNIC !== undefined ? { sellerNtnCnic: found.sellerNTNCNIC } : {}),
        ...(found.POSID !== undefined ? { posId: found.POSID } : {}),
      };
    },
  };
}

export async function simInvoices(simulator: RunningSimulator): Promise<SimInvoice[]> {
  const response = await fetch(`${simulator.url}/__sim/invoices`);
  const body = (await response.json()) as { invoices: SimInvoice[] };
  return body.invoices;
}

/**
 * After `t.gateway.close()`, read from the store the closed gateway left behind: the state of each of `ids`
 * and its attempts' outcomes (oldest first), in the order of `ids`, and how many outbox rows are left.
 */
export async function storedAfterClose(
  t: TestGateway,
  ids: string[],
): Promise<{ states: string[]; attempts: (string | null)[][]; outbox: number }> {
  const store = await openStore({ db: t.db, dataDir: t.dataDir });
  try {
    const rows = await store.db
      .selectFrom("invoices")
      .select(["id", "state"])
      .where("id", "in", ids)
      .execute();
    const attempts = await store.db
      .selectFrom("attempts")
      .select(["invoice_id", "outcome"])
      .where("invoice_id", "in", ids)
      .orderBy("attempt_no")
      .execute();
    const outbox = await store.db.selectFrom("outbox").select("invoice_id").execute();
    return {
      states: ids.map((id) => rows.find((row) => row.id === id)?.state ?? "missing"),
      attempts: ids.map((id) => attempts.filter((a) => a.invoice_id === id).map((a) => a.outcome)),
      outbox: outbox.length,
    };
  } finally {
    await store.close();
  }
}
