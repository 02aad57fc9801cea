// Rate limits hold across instances (issue 13): two gateways on one PostgreSQL share the per-key request
// limit and the per-IP failed-authentication limit, counted in the database. The window clock is injected.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type KyselyPlugin, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { GatewayEvents } from "../src/events.ts";
import { SharedWindowCounter } from "../src/http/middleware/shared-rate-limit.ts";
import { openStore, type Store } from "../src/store/database.ts";
import { addTenant, authenticateApiKeyCounting, createApiKey, revokeApiKey } from "../src/tenants/tenants.ts";
import { SELLER_A } from "./harness.ts";
import { postgresUrl, TEST_MASTER_KEY, tempDir } from "./helpers.ts";

describe("rate limits shared by two instances on PostgreSQL", () => {
  const dir = tempDir();
  const stores: Store[] = [];
  const apps: FastifyInstance[] = [];
  const urls: string[] = [];
  let now = 1_800_000_030_000; // mid-window: windows are whole minutes since the epoch
  let key = "";

  beforeAll(async () => {
    const db = `${postgresUrl()}?schema=t_${randomBytes(6).toString("hex")}`;
    const config = loadConfig({
      flags: { dataDir: dir.path, db, rateLimitPerMinute: 3, authFailuresPerMinute: 2, logLevel: "silent" },
      env: {},
    });
    for (let i = 0; i < 2; i += 1) {
      const store = await openStore({ db, dataDir: dir.path, poolSize: 3 });
      stores.push(store);
      const app = await buildApp({
        config,
        store,
        masterKey: TEST_MASTER_KEY,
        events: new GatewayEvents(),
        clock: () => now,
      });
      apps.push(app);
      urls.push(await app.listen({ port: 0, host: "127.0.0.1" }));
    }
    const first = stores[0];
    if (first === undefined) throw new Error("no store");
    const tenant = await addTenant(first.db, TEST_MASTER_KEY, {
      ...SELLER_A,
      environment: "sandbox",
      fbrToken: SELLER_A.token,
    });
    key = (await createApiKey(first.db, tenant.id)).key;
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const store of stores) await store.close();
    dir.remove();
  });

  const get = (instance: number, bearer: string) =>
    fetch(`${urls[instance]}/v1/invoices`, { headers: { authorization: `Bearer ${bearer}` } });

  it("counts one key's requests across both instances, and a new window starts afresh", async () => {
    const statuses: number[] = [];
    for (const instance of [0, 1, 0, 1]) statuses.push((await get(instance, key)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await get(0, key);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    now += 60_000;
    expect((await get(1, key)).status).toBe(200);
  });

  it("counts failed authentications per address across both instances", async () => {
    now += 60_000;
    expect((await get(0, "rsd_guess_1")).status).toBe(401);
    expect((await get(1, "rsd_guess_2")).status).toBe(401);
    const blocked = await get(0, key);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await get(1, key)).status).toBe(429);
    now += 60_000;
    expect((await get(1, key)).status).toBe(200);
  });
});

describe("shared window counter on PostgreSQL", () => {
  const dir = tempDir();
  let store: Store;
  let statements = 0;
  // Counts the statements the counter sends.
  const counting: KyselyPlugin = {
    transformQuery: (args) => {
      statements += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };

  beforeAll(async () => {
    const db = `${postgresUrl()}?schema=t_${randomBytes(6).toString("hex")}`;
    store = await openStore({ db, dataDir: dir.path, poolSize: 3 });
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it("keeps the counters in an unlogged table: no WAL, so no fsync for a count (a crash only restarts the windows)", async () => {
    const { rows } = await sql<{ persistence: string }>`
      SELECT relpersistence AS persistence FROM pg_class
      WHERE oid = to_regclass(current_schema() || '.rate_limit_windows')`.execute(store.db);
    expect(rows).toEqual([{ persistence: "u" }]);
    const counter = new SharedWindowCounter(store.db, () => 1_800_000_030_000);
    expect((await counter.hit("unlogged-table", 60_000)).hits).toBe(1);
    expect((await counter.hit("unlogged-table", 60_000)).hits).toBe(2);
  });

  it("counts concurrent hits of one key with one upsert each round, every hit its own place in the count", async () => {
    const counter = new SharedWindowCounter(store.db.withPlugin(counting), () => 1_800_000_030_000);
    statements = 0;
    const first = counter.hit("api:k", 60_000);
    const rest = Array.from({ length: 9 }, () => counter.hit("api:k", 60_000));
    const counts = await Promise.all([first, ...rest]);
    expect(counts.map((count) => count.hits).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(counts.every((count) => count.resetsInMs === 30_000)).toBe(true);
    // The first hit's upsert, then one for the nine that queued behind it.
    expect(statements).toBe(2);
    statements = 0;
    const reads = await Promise.all(Array.from({ length: 5 }, () => counter.read("api:k", 60_000)));
    expect(reads.map((read) => read.hits)).toEqual([10, 10, 10, 10, 10]);
    expect(statements).toBe(2);
    // Another instance's counter on the same database continues the same count.
    const other = new SharedWindowCounter(store.db, () => 1_800_000_031_000);
    expect((await other.hit("api:k", 60_000)).hits).toBe(11);
    expect((await counter.hit("api:other", 60_000)).hits).toBe(1);
  });

  it("reads a key and an address's count together: each answer its own key's grant and its own count", async () => {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, {
      ...SELLER_A,
      environment: "sandbox",
      fbrToken: SELLER_A.token,
    });
    const good = await createApiKey(store.db, tenant.id);
    const counter = new SharedWindowCounter(store.db, () => 1_800_000_030_000);
    const { window } = counter.currentWindow(60_000);
    await counter.hit("auth:10.0.0.1", 60_000);
    await counter.hit("auth:10.0.0.1", 60_000);
    const asked = [
      [good.key, "auth:10.0.0.1", window],
      ["rsd_unknown", "auth:10.0.0.1", window],
      [good.key, "auth:10.0.0.2", window],
      [good.key, "auth:10.0.0.1", window + 1],
    ] as const;
    // Asked in one turn: one query answers them all.
    const answers = await Promise.all(
      asked.map(([key, counted, at]) =>
        authenticateApiKeyCounting(store.db, key, { key: counted, window: at }),
      ),
    );
    expect(answers.map(({ auth, hits }) => [auth?.tenantId, hits])).toEqual([
      [tenant.id, 2],
      [undefined, 2],
      [tenant.id, 0],
      [tenant.id, 0],
    ]);
    await revokeApiKey(store.db, good.id);
    const after = await authenticateApiKeyCounting(store.db, good.key, { key: "auth:10.0.0.1", window });
    expect([after.auth, after.hits]).toEqual([undefined, 2]);
  });
});
