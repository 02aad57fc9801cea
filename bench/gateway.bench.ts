// The gateway's costs, each against a baseline measured in the same run (shared machines make absolute
// numbers meaningless):
// 1. durable ingest: POST /v1/invoices (5-line invoices, validated, invoice + outbox + audit committed
//    before the 202) vs a bare Fastify route doing JSON.parse plus one SQLite insert (same pragmas);
// 2. drain rate against the simulator at 100 ms latency, as a ratio of the bound concurrency / latency;
// 3. peak RSS with 100,000 invoices queued while the worker runs.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  addTenant,
  buildApp,
  createApiKey,
  GatewayEvents,
  loadConfig,
  OutboxWorker,
  openStore,
  type Store,
} from "@raseed/gateway";
import { scenarioPayloadForSeller, startSimulator } from "@raseed/simulator";
import SqliteDatabase from "better-sqlite3";
import Fastify from "fastify";

const INGEST_REQUESTS = 1_500;
const INGEST_CONCURRENCY = 16;
const DRAIN_INVOICES = 600;
const DRAIN_CONCURRENCY = 16;
const DRAIN_LATENCY_MS = 100;
const QUEUED_INVOICES = 100_000;
const SELLER = { ntn: "7000007", businessName: "Demo Traders", province: "Sindh", address: "Karachi" };

function fiveLineInvoice(tag: string): Record<string, unknown> {
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

async function hammer(url: string, bodies: string[], headers: Record<string, string>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: INGEST_CONCURRENCY }, async () => {
      for (;;) {
        const index = next;
        if (index >= bodies.length) return;
        next += 1;
        const response = await fetch(url, { method: "POST", headers, body: bodies[index] as string });
        await response.arrayBuffer();
        if (response.status !== 202 && response.status !== 201)
          throw new Error(`bench: HTTP ${response.status}`);
      }
    }),
  );
  return bodies.length / ((performance.now() - started) / 1000);
}

async function baselineIngest(dir: string, bodies: string[]): Promise<number> {
  const database = new SqliteDatabase(join(dir, "baseline.db"));
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = FULL");
  database.exec("create table invoices (id text primary key, payload text not null)");
  const insert = database.prepare("insert into invoices (id, payload) values (?, ?)");
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) =>
    done(null, body),
  );
  app.post("/ingest", async (request, reply) => {
    const parsed = JSON.parse(request.body as string) as unknown;
    insert.run(randomBytes(12).toString("hex"), JSON.stringify(parsed));
    return reply.status(201).send({ ok: true });
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  try {
    return await hammer(`http://127.0.0.1:${port}/ingest`, bodies, { "content-type": "application/json" });
  } finally {
    await app.close();
    database.close();
  }
}

async function gatewayWithoutWorker(dir: string, fbrUrl: string, extra: Record<string, unknown> = {}) {
  const masterKey = randomBytes(32);
  const config = loadConfig({
    flags: {
      port: 0,
      dataDir: dir,
      fbrUrl,
      masterKey: masterKey.toString("hex"),
      logLevel: "silent",
      rateLimitPerMinute: 1_000_000,
      pollIntervalMs: 20,
      ...extra,
    },
    env: {},
  });
  const store = await openStore({ dataDir: dir, db: join(dir, "raseed.db") });
  const tenant = await addTenant(store.db, masterKey, {
    ...SELLER,
    name: SELLER.businessName,
    environment: "sandbox",
    fbrToken: "sandbox-demo-token",
  });
  const { key } = await createApiKey(store.db, tenant.id);
  const events = new GatewayEvents();
  const app = await buildApp({ config, store, masterKey, events });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { config, store, masterKey, events, app, key, url: `http://127.0.0.1:${port}` };
}

async function waitUntilDrained(store: Store): Promise<void> {
  for (;;) {
    const row = await store.db
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    if (Number(row.n) === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "raseed-bench-gw-"));
  const simulator = await startSimulator({ port: 0 });
  try {
    // 1. Durable ingest.
    const bodies = Array.from({ length: INGEST_REQUESTS }, (_, i) =>
      JSON.stringify(fiveLineInvoice(`ingest ${i}`)),
    );
    const warm = await gatewayWithoutWorker(mkdtempSync(join(dir, "g-")), simulator.url);
    const headers = { "content-type": "application/json", authorization: `Bearer ${warm.key}` };
    await hammer(
      `${warm.url}/v1/invoices`,
      bodies.slice(0, 100).map((b, i) => b.replace("ingest", `warm${i}`)),
      headers,
    );
    const baseline = await baselineIngest(dir, bodies);
    const ingest = await hammer(`${warm.url}/v1/invoices`, bodies, headers);
    await warm.app.close();
    await warm.store.close();
    console.log(
      `durable ingest: ${ingest.toFixed(0)} invoices/s (5 lines, validated, committed before 202) vs bare Fastify + JSON.parse + 1 SQLite insert ${baseline.toFixed(0)} req/s: ratio ${(ingest / baseline).toFixed(2)}`,
    );

    // 2. Drain rate at 100 ms FBR latency.
    simulator.setFaults({ latencyMs: DRAIN_LATENCY_MS });
    const drain = await gatewayWithoutWorker(mkdtempSync(join(dir, "d-")), simulator.url, {
      workerConcurrency: DRAIN_CONCURRENCY,
      tenantConcurrency: DRAIN_CONCURRENCY,
    });
    const drainHeaders = { "content-type": "application/json", authorization: `Bearer ${drain.key}` };
    await hammer(
      `${drain.url}/v1/invoices`,
      Array.from({ length: DRAIN_INVOICES }, (_, i) => JSON.stringify(fiveLineInvoice(`drain ${i}`))),
      drainHeaders,
    );
    const worker = new OutboxWorker({
      store: drain.store,
      masterKey: drain.masterKey,
      events: drain.events,
      options: drain.config,
    });
    const drainStarted = performance.now();
    await worker.start();
    await waitUntilDrained(drain.store);
    const drainRate = DRAIN_INVOICES / ((performance.now() - drainStarted) / 1000);
    const bound = DRAIN_CONCURRENCY / (DRAIN_LATENCY_MS / 1000);
    await worker.stop(5_000);
    await drain.app.close();
    await drain.store.close();
    console.log(
      `drain: ${drainRate.toFixed(1)} invoices/s at ${DRAIN_LATENCY_MS} ms FBR latency, concurrency ${DRAIN_CONCURRENCY}: ${(drainRate / bound).toFixed(2)} of the bound ${bound}/s`,
    );

    // 3. Peak RSS with 100,000 invoices queued (rows inserted directly, as an ingest backlog would leave them).
    simulator.setFaults({ latencyMs: 20 });
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const backlog = await gatewayWithoutWorker(mkdtempSync(join(dir, "q-")), simulator.url, {
      workerConcurrency: 16,
    });
    const tenantId = (await backlog.store.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow()).id;
    const payload = JSON.stringify(fiveLineInvoice("backlog"));
    const now = new Date().toISOString();
    for (let start = 0; start < QUEUED_INVOICES; start += 2_000) {
      await backlog.store.db.transaction().execute(async (trx) => {
        const ids = Array.from({ length: 2_000 }, (_, i) => `inv_bench${String(start + i).padStart(7, "0")}`);
        await trx
          .insertInto("invoices")
          .values(
            ids.map((id) => ({
              id,
              tenant_id: tenantId,
              external_ref: id,
              request_hash: "bench",
              payload,
              state: "queued" as const,
              fbr_invoice_number: null,
              fbr_dated: null,
              item_numbers: null,
              errors: null,
              last_reason: null,
              attempt_count: 0,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
        await trx
          .insertInto("outbox")
          .values(
            ids.map((id) => ({
              invoice_id: id,
              tenant_id: tenantId,
              due_at: now,
              lease_owner: null,
              lease_until: null,
              created_at: now,
            })),
          )
          .execute();
      });
    }
    const backlogWorker = new OutboxWorker({
      store: backlog.store,
      masterKey: backlog.masterKey,
      events: backlog.events,
      options: backlog.config,
    });
    await backlogWorker.start();
    await new Promise((r) => setTimeout(r, 5_000));
    const listed = await fetch(`${backlog.url}/v1/invoices?state=queued&limit=100`, {
      headers: { authorization: `Bearer ${backlog.key}` },
    });
    await listed.arrayBuffer();
    await backlogWorker.stop(5_000);
    clearInterval(sampler);
    await backlog.app.close();
    await backlog.store.close();
    console.log(
      `peak RSS with ${QUEUED_INVOICES.toLocaleString("en")} invoices queued and the worker draining: ${(peak / 1024 / 1024).toFixed(0)} MB (whole bench process, simulator included)`,
    );
  } finally {
    await simulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
