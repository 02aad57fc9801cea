// Scale-out: two gateway processes on one PostgreSQL share one outbox; each of 1,000 invoices is
// submitted to FBR exactly once (FOR UPDATE SKIP LOCKED claims under leases).
import { randomBytes } from "node:crypto";
import { startSimulator } from "@raseed/simulator";
import { describe, expect, it } from "vitest";
import type { Store } from "../src/store/database.ts";
import type { InvoiceState } from "../src/store/schema.ts";
import { SELLER_A, sampleInvoice, simInvoices } from "./harness.ts";
import { postgresUrl, tempDir } from "./helpers.ts";
import { freePort, prepareSellerStore, startGatewayProcess } from "./processes.ts";

const TOTAL = 1_000;

/**
 * Waits until no invoice is in one of `open` states. It waits as long as the instances make progress (the
 * count falls), so a loaded machine only makes it slower; it fails when the count has not fallen for 60 s,
 * naming the states the invoices are stuck in.
 */
async function untilSettled(store: Store, open: readonly InvoiceState[]): Promise<void> {
  let lowest = Number.POSITIVE_INFINITY;
  let progressAt = Date.now();
  for (;;) {
    const rows = await store.db
      .selectFrom("invoices")
      .select(["state", (eb) => eb.fn.countAll<number>().as("n")])
      .where("state", "in", open)
      .groupBy("state")
      .execute();
    const left = rows.reduce((sum, row) => sum + Number(row.n), 0);
    if (left === 0) return;
    if (left < lowest) {
      lowest = left;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > 60_000) {
      const states = rows.map((row) => `${Number(row.n)} ${row.state}`).join(", ");
      throw new Error(`no progress for 60 s: ${states}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("scale-out on PostgreSQL", () => {
  it(`two processes on one database post each of ${TOTAL} invoices exactly once`, {
    timeout: 900_000,
  }, async () => {
    const simulator = await startSimulator({ port: 0, faults: { latencyMs: [5, 30] } });
    const dir = tempDir();
    const db = `${postgresUrl()}?schema=scale_${randomBytes(4).toString("hex")}`;
    const {
      store: setup,
      key,
      env,
    } = await prepareSellerStore({
      db,
      dataDir: dir.path,
      fbrUrl: simulator.url,
      env: {
        RASEED_WORKER_CONCURRENCY: "16",
        RASEED_TENANT_CONCURRENCY: "16",
      },
    });
    const instances = [
      await startGatewayProcess(env, await freePort()),
      await startGatewayProcess(env, await freePort()),
    ];
    try {
      let next = 0;
      const submit = async (worker: number) => {
        for (;;) {
          const index = next;
          if (index >= TOTAL) return;
          next += 1;
          const target = instances[(index + worker) % 2];
          const response = await fetch(`${target?.url}/v1/invoices`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${key}`,
              "content-type": "application/json",
              "idempotency-key": `scale-${index}`,
            },
            body: JSON.stringify(sampleInvoice(SELLER_A, `scale ${index}`)),
          });
          expect(response.status).toBe(202);
        }
      };
      const started = Date.now();
      await Promise.all(Array.from({ length: 8 }, (_, i) => submit(i)));

      await untilSettled(setup, ["queued", "submitting", "retrying"]);
      const reported = (await simInvoices(simulator)).filter((i) => i.channel === "di");
      expect(reported).toHaveLength(TOTAL);
      for (const invoice of reported) expect(invoice.postCount).toBe(1);
      const attempts = await setup.db
        .selectFrom("attempts")
        .select(["outcome", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy("outcome")
        .execute();
      expect(attempts.map((a) => [a.outcome, Number(a.n)])).toEqual([["accepted", TOTAL]]);
      // Both instances did part of the work.
      const owners = await setup.db
        .selectFrom("audit")
        .select("actor")
        .distinct()
        .where("action", "=", "fbr.post")
        .execute();
      expect(owners.length).toBe(2);
      console.info(
        `scale-out: ${TOTAL} invoices through 2 processes on one PostgreSQL in ${((Date.now() - started) / 1000).toFixed(1)} s, each posted once`,
      );
    } finally {
      for (const instance of instances) {
        instance.child.kill("SIGTERM");
        await instance.exited;
      }
      await setup.close();
      await simulator.close();
      dir.remove();
    }
  });
});

describe("an instance dies on PostgreSQL", () => {
  it("the survivor recovers its leases after they expire: nothing lost, nothing posted twice", {
    timeout: 900_000,
  }, async () => {
    const COUNT = 400;
    // Slow answers, so the victim has a full set of posts on the wire when it dies.
    const simulator = await startSimulator({ port: 0, faults: { latencyMs: [300, 600] } });
    const dir = tempDir();
    const db = `${postgresUrl()}?schema=die_${randomBytes(4).toString("hex")}`;
    const {
      store: setup,
      key,
      env,
    } = await prepareSellerStore({
      db,
      dataDir: dir.path,
      fbrUrl: simulator.url,
      env: {
        RASEED_WORKER_CONCURRENCY: "8",
        RASEED_TENANT_CONCURRENCY: "8",
        // PostgreSQL keeps no launch log: the attempts recorded ahead of the victim's free slots are in doubt.
        RASEED_WORKER_PREFETCH: "4",
        RASEED_FBR_TIMEOUT_MS: "1000",
        RASEED_LEASE_MS: "3000",
      },
    });
    const victim = await startGatewayProcess(env, await freePort());
    const survivor = await startGatewayProcess(env, await freePort());
    const submit = (url: string, i: number) =>
      fetch(`${url}/v1/invoices`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          "idempotency-key": `die-${i}`,
        },
        body: JSON.stringify(sampleInvoice(SELLER_A, `die ${i}`)),
      });
    let victimAlive = true;
    for (let i = 0; i < COUNT; i += 1) {
      if (i === COUNT / 2) {
        victim.child.kill("SIGKILL");
        await victim.exited;
        victimAlive = false;
      }
      // Alternate between instances; once the victim is dead everything goes to the survivor.
      const target = i % 2 === 0 && victimAlive ? victim : survivor;
      const response = await submit(target.url, i);
      expect(response.status).toBe(202);
    }
    try {
      await untilSettled(setup, ["queued", "submitting", "retrying"]);
      const rows = await setup.db.selectFrom("invoices").select(["state"]).execute();
      expect(rows).toHaveLength(COUNT);
      for (const row of rows) expect(["accepted", "in_doubt"]).toContain(row.state);
      // One death: at most its posts on the wire and the attempts it recorded ahead.
      const open = Number(env.RASEED_WORKER_CONCURRENCY) + Number(env.RASEED_WORKER_PREFETCH);
      expect(rows.filter((r) => r.state === "in_doubt").length).toBeLessThanOrEqual(open);
      const reported = (await simInvoices(simulator)).filter((i) => i.channel === "di");
      for (const invoice of reported) expect(invoice.postCount).toBe(1);
      const recovered = await setup.db
        .selectFrom("audit")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("action", "=", "invoice.recovered")
        .executeTakeFirstOrThrow();
      expect(Number(recovered.n)).toBeGreaterThanOrEqual(2);
      console.info(
        `instance death: ${COUNT} invoices, ${rows.filter((r) => r.state === "in_doubt").length} in_doubt, ${Number(recovered.n)} leases recovered by the survivor, none posted twice`,
      );
    } finally {
      survivor.child.kill("SIGTERM");
      await survivor.exited;
      await setup.close();
      await simulator.close();
      dir.remove();
    }
  });
});
