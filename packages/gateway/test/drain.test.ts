// Graceful shutdown: close() (what SIGTERM triggers) lets in-flight posts finish within the deadline, so
// nothing that was on the wire is left in doubt.
import { describe, expect, it } from "vitest";
import { openStore } from "../src/store/database.ts";
import { sampleInvoice, startTestGateway } from "./harness.ts";

describe("graceful drain", () => {
  it("finishes in-flight posts before closing the store", async () => {
    const t = await startTestGateway("sqlite", { drainTimeoutMs: 5_000 });
    t.simulator.setFaults({ latencyMs: 600 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1)
      ids.push((await t.call("POST", "/v1/invoices", { body: sampleInvoice() })).body.id);
    // Bounded by count, not by the clock: the posts are on the wire for 600 ms each.
    for (let i = 0; i < 500 && t.gateway.worker.inFlight < 4; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(t.gateway.worker.inFlight).toBe(4);
    // What proves the drain is the outcome below (every post settled, nothing left in the outbox), not
    // how long close() took on a loaded machine.
    await t.gateway.close();
    const store = await openStore({ db: t.db, dataDir: t.dataDir });
    try {
      const rows = await store.db
        .selectFrom("invoices")
        .select(["id", "state"])
        .where("id", "in", ids)
        .execute();
      expect(rows.map((r) => r.state)).toEqual(["accepted", "accepted", "accepted", "accepted"]);
      const outbox = await store.db.selectFrom("outbox").selectAll().execute();
      expect(outbox).toEqual([]);
    } finally {
      await store.close();
      await t.close();
    }
  });
});
