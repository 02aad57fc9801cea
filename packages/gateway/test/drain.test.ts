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
    const deadline = Date.now() + 5_000;
    while (t.gateway.worker.inFlight < 4 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(t.gateway.worker.inFlight).toBe(4);
    const started = Date.now();
    await t.gateway.close();
    expect(Date.now() - started).toBeLessThan(5_000);
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
