// workerPrefetch: attempts recorded ahead of a free slot. A slot freed by FBR's answer posts the next one
// at once, before the answer's settlement commits; never more than workerConcurrency posts are on the wire,
// and a graceful stop posts what was recorded ahead instead of leaving it in doubt. The order of events is
// what is asserted (posts held on the wire by the test, state changes the gateway emits), never the clock.
import { describe, expect, it } from "vitest";
import { openStore } from "../src/store/database.ts";
import { SELLER_A, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";

/** Posts as they start and settlements as they commit, in the order they happened. */
function recordOrder(t: TestGateway, descriptions: Map<string, string>): string[] {
  const order: string[] = [];
  t.faults.onPost = (description) => {
    if (description !== undefined) order.push(`post ${description}`);
  };
  t.gateway.events.on("invoice.state_changed", ({ invoiceId, state }) => {
    const description = descriptions.get(invoiceId);
    if (description !== undefined && state === "accepted") order.push(`settled ${description}`);
  });
  return order;
}

/** Submits an invoice whose first item is `description`; answers its id. */
async function submit(t: TestGateway, description: string, descriptions: Map<string, string>) {
  const response = await t.call("POST", "/v1/invoices", { body: sampleInvoice(SELLER_A, description) });
  expect(response.status).toBe(202);
  descriptions.set(response.body.id, description);
  return response.body.id as string;
}

describe("worker prefetch", () => {
  it("posts the attempt recorded ahead when FBR answers, before that answer's settlement commits", async () => {
    const t = await startTestGateway("sqlite", {
      workerConcurrency: 1,
      tenantConcurrency: 1,
      workerPrefetch: 1,
    });
    try {
      const descriptions = new Map<string, string>();
      const order = recordOrder(t, descriptions);
      const releaseFirst = t.faults.hold("first");
      const first = await submit(t, "first", descriptions);
      await t.faults.untilInFlight(SELLER_A.ntn, 1);
      const second = await submit(t, "second", descriptions);
      // Recorded ahead while the one slot is taken: durable as submitting, not on the wire.
      await t.waitFor(t.keyA, second, ["submitting"]);
      expect(t.gateway.worker.recordedAhead).toBe(1);
      expect(order).toEqual(["post first"]);
      releaseFirst();
      await t.waitFor(t.keyA, first, ["accepted"]);
      await t.waitFor(t.keyA, second, ["accepted"]);
      expect(order).toEqual(["post first", "post second", "settled first", "settled second"]);
      expect(t.faults.maxInFlightBySeller.get(SELLER_A.ntn)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it("without prefetch the next post waits for the settlement that records it", async () => {
    const t = await startTestGateway("sqlite", { workerConcurrency: 1, tenantConcurrency: 1 });
    try {
      const descriptions = new Map<string, string>();
      const order = recordOrder(t, descriptions);
      const releaseFirst = t.faults.hold("first");
      const first = await submit(t, "first", descriptions);
      await t.faults.untilInFlight(SELLER_A.ntn, 1);
      const second = await submit(t, "second", descriptions);
      await t.waitFor(t.keyA, second, ["queued"]);
      expect(t.gateway.worker.recordedAhead).toBe(0);
      releaseFirst();
      await t.waitFor(t.keyA, first, ["accepted"]);
      await t.waitFor(t.keyA, second, ["accepted"]);
      expect(order).toEqual(["post first", "settled first", "post second", "settled second"]);
    } finally {
      await t.close();
    }
  });

  it("a graceful stop posts what was recorded ahead: nothing is left submitting or in doubt", async () => {
    const t = await startTestGateway("sqlite", {
      workerConcurrency: 1,
      tenantConcurrency: 1,
      workerPrefetch: 2,
      drainTimeoutMs: 30_000,
    });
    try {
      const descriptions = new Map<string, string>();
      const releaseFirst = t.faults.hold("first");
      const ids = [await submit(t, "first", descriptions)];
      await t.faults.untilInFlight(SELLER_A.ntn, 1);
      ids.push(await submit(t, "second", descriptions), await submit(t, "third", descriptions));
      for (const id of ids.slice(1)) await t.waitFor(t.keyA, id, ["submitting"]);
      expect(t.gateway.worker.recordedAhead).toBe(2);
      const closing = t.gateway.close();
      releaseFirst();
      await closing;
      expect(t.faults.maxInFlightBySeller.get(SELLER_A.ntn)).toBe(1);
      const store = await openStore({ db: t.db, dataDir: t.dataDir });
      try {
        const rows = await store.db
          .selectFrom("invoices")
          .select(["id", "state"])
          .where("id", "in", ids)
          .execute();
        expect(rows.map((row) => row.state)).toEqual(["accepted", "accepted", "accepted"]);
        expect(await store.db.selectFrom("outbox").selectAll().execute()).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await t.close();
    }
  });
});
