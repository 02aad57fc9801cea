// The worker keeps its slots busy (issue 11): a slot is freed the moment FBR answers, and attempts claimed
// and recorded ahead start at once, without waiting for a settlement's commit or another claim round.
// Posts are held at the transport until the test lets each go, so every step waits on an event.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type RunningSimulator, startSimulator } from "@raseed/simulator";
import type { Transaction } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayEvents } from "../src/events.ts";
import { OutboxWorker, type OutboxWorkerOptions } from "../src/outbox/loop.ts";
import { openStore, type Store } from "../src/store/database.ts";
import { GroupCommitter } from "../src/store/group-commit.ts";
import { newId } from "../src/store/ids.ts";
import type { Database } from "../src/store/schema.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { SELLER_A, sampleInvoice } from "./harness.ts";
import { tempDir } from "./helpers.ts";

/** Posts wait here until released; each arrival is an event the test can wait for. */
class HeldPosts {
  readonly held: { description: string; release: () => void }[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  onWire = 0;
  maxOnWire = 0;

  constructor(private readonly inner: typeof fetch) {}

  readonly fetch: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body)) as { items: { productDescription: string }[] };
    this.onWire += 1;
    this.maxOnWire = Math.max(this.maxOnWire, this.onWire);
    await new Promise<void>((release) => {
      this.held.push({ description: body.items[0]?.productDescription ?? "", release });
      this.waiters = this.waiters.filter((w) => {
        if (this.held.length < w.count) return true;
        w.resolve();
        return false;
      });
    });
    try {
      return await this.inner(input, init);
    } finally {
      this.onWire -= 1;
    }
  };

  /** Resolves once `count` posts have arrived in all. */
  arrived(count: number): Promise<void> {
    if (this.held.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

/** Holds every commit (claim rounds and settlements alike) while closed. */
class GatedCommitter extends GroupCommitter {
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};

  close(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  reopen(): void {
    this.open();
  }

  override run<T>(work: (trx: Transaction<Database>) => Promise<T>, orderKey = ""): Promise<T> {
    return this.gate.then(() => super.run(work, orderKey));
  }
}

interface Setup {
  store: Store;
  worker: OutboxWorker;
  posts: HeldPosts;
  committer: GatedCommitter;
  descriptions: string[];
  ids: string[];
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setUp(count: number, options: Partial<OutboxWorkerOptions>): Promise<Setup> {
  const simulator: RunningSimulator = await startSimulator({ port: 0 });
  const dir = tempDir();
  const store = await openStore({ db: join(dir.path, "raseed.db"), dataDir: dir.path });
  const masterKey = randomBytes(32);
  const tenant = await addTenant(store.db, masterKey, {
    ...SELLER_A,
    environment: "sandbox",
    fbrToken: SELLER_A.token,
  });
  const descriptions: string[] = [];
  const ids: string[] = [];
  const start = Date.now() - count;
  for (let n = 0; n < count; n += 1) {
    const invoice = sampleInvoice();
    const at = new Date(start + n).toISOString(); // due one after the other, in this order
    const id = newId("inv");
    descriptions.push(invoice.items[0]?.productDescription as string);
    ids.push(id);
    await store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("invoices")
        .values({
          id,
          tenant_id: tenant.id,
          channel: "di",
          pos_id: null,
          usin: null,
          external_ref: `ERP-${n}`,
          buyer_ntn_cnic: null,
          buyer_name: null,
          request_hash: "test",
          payload: JSON.stringify(invoice),
          state: "queued",
          fbr_invoice_number: null,
          fbr_number_source: null,
          fbr_dated: null,
          item_numbers: null,
          errors: null,
          last_reason: null,
          attempt_count: 0,
          created_at: at,
          updated_at: at,
        })
        .execute();
      await trx
        .insertInto("outbox")
        .values({
          invoice_id: id,
          tenant_id: tenant.id,
          due_at: at,
          lease_owner: null,
          lease_until: null,
          created_at: at,
        })
        .execute();
    });
  }
  const posts = new HeldPosts(fetch);
  const committer = new GatedCommitter(store.db);
  const worker = new OutboxWorker({
    store,
    masterKey,
    events: new GatewayEvents(),
    committer,
    fetch: posts.fetch,
    options: {
      fbrUrl: simulator.url,
      workerConcurrency: 2,
      tenantConcurrency: 2,
      // Only the events below drive the worker: no poll round comes by itself during a test.
      pollIntervalMs: 60_000,
      leaseMs: 60_000,
      fbrTimeoutMs: 30_000,
      maxAttempts: 3,
      maxRetryDelayMs: 1_000,
      breakerThreshold: 1_000,
      breakerCooldownMs: 1_000,
      ...options,
    },
  });
  cleanup = async () => {
    committer.reopen();
    for (const post of posts.held) post.release();
    await worker.stop(5_000);
    await store.close();
    await simulator.close();
    dir.remove();
  };
  await worker.start({ recoverAllLeases: true });
  return { store, worker, posts, committer, descriptions, ids };
}

async function statesOf(store: Store, ids: string[]): Promise<string[]> {
  const rows = await store.db.selectFrom("invoices").select(["id", "state"]).where("id", "in", ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r.state]));
  return ids.map((id) => byId.get(id) as string);
}

async function openAttempts(store: Store): Promise<number> {
  const rows = await store.db.selectFrom("attempts").select("id").where("outcome", "is", null).execute();
  return rows.length;
}

describe("the worker's slots", () => {
  it("claims and records claimAhead attempts beyond its slots, and never posts more than its concurrency", async () => {
    const { store, worker, posts, ids, descriptions } = await setUp(5, { claimAhead: 1 });
    await posts.arrived(2);
    expect(posts.held.map((p) => p.description)).toEqual(descriptions.slice(0, 2));
    expect(worker.postsInFlight).toBe(2);
    expect(worker.waiting).toBe(1);
    // Recorded before posting, like every attempt: three submitting, each with an open attempt.
    expect(await statesOf(store, ids)).toEqual([
      "submitting",
      "submitting",
      "submitting",
      "queued",
      "queued",
    ]);
    expect(await openAttempts(store)).toBe(3);

    for (let released = 0; released < 5; released += 1) {
      await posts.arrived(released + 1);
      posts.held[released]?.release();
    }
    await posts.arrived(5);
    expect(posts.maxOnWire).toBe(2);
  });

  it("starts the next recorded attempt when FBR answers, before that answer's settlement commits", async () => {
    const { store, worker, posts, committer, ids, descriptions } = await setUp(3, { claimAhead: 1 });
    await posts.arrived(2);
    // From here nothing commits: neither the first answer's settlement nor any claim round.
    committer.close();
    posts.held[0]?.release();
    await posts.arrived(3);
    expect(posts.held[2]?.description).toBe(descriptions[2]);
    expect(worker.postsInFlight).toBe(2);
    // The first invoice is answered but not yet settled: its commit is still held.
    expect(await statesOf(store, ids)).toEqual(["submitting", "submitting", "submitting"]);

    committer.reopen();
    for (const post of posts.held) post.release();
    const stopped = await worker.stop(30_000);
    expect(stopped).toEqual({ drained: true, unfinished: 0 });
    expect(await statesOf(store, ids)).toEqual(["accepted", "accepted", "accepted"]);
  });

  it("posts the attempts it recorded ahead before a stop reports drained, and leaves nothing open", async () => {
    const { store, worker, posts, ids } = await setUp(4, {
      workerConcurrency: 1,
      tenantConcurrency: 1,
      claimAhead: 1,
    });
    await posts.arrived(1);
    expect(worker.waiting).toBe(1);
    const stopping = worker.stop(30_000);
    posts.held[0]?.release();
    // The attempt recorded ahead is posted after the stop began, not left for recovery to call in doubt.
    await posts.arrived(2);
    posts.held[1]?.release();
    expect(await stopping).toEqual({ drained: true, unfinished: 0 });
    expect(await statesOf(store, ids)).toEqual(["accepted", "accepted", "queued", "queued"]);
    expect(await openAttempts(store)).toBe(0);
  });
});
