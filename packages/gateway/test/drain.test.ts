// Graceful shutdown: close() (what SIGTERM triggers) lets in-flight posts finish within the deadline, so
// nothing that was on the wire is left in doubt.
import { describe, expect, it } from "vitest";
import { SELLER_A, sampleInvoice, startTestGateway, storedAfterClose } from "./harness.ts";

describe("graceful drain", () => {
  it("finishes in-flight posts before closing the store", async () => {
    const t = await startTestGateway("sqlite", { drainTimeoutMs: 5_000 });
    t.simulator.setFaults({ latencyMs: 600 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1)
      ids.push((await t.call("POST", "/v1/invoices", { body: sampleInvoice() })).body.id);
    // Waits until all four posts are on the wire (the transport says so), not on the clock.
    await t.faults.untilInFlight(SELLER_A.ntn, 4);
    expect(t.gateway.worker.inFlight).toBe(4);
    // What proves the drain is the outcome below (every post settled, nothing left in the outbox), not
    // how long close() took on a loaded machine.
    try {
      await t.gateway.close();
      expect(await storedAfterClose(t, ids)).toEqual({
        states: ["accepted", "accepted", "accepted", "accepted"],
        attempts: [["accepted"], ["accepted"], ["accepted"], ["accepted"]],
        outbox: 0,
      });
    } finally {
      await t.close();
    }
  });
});
