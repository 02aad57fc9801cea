// FBR's Retry-After is honoured even when it is longer than maxRetryDelayMs (which caps only Raseed's own
// backoff): posting sooner than FBR asked would just draw another 429 and prolong the throttling.

import { queuedRetryDelayMs } from "@raseed/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";

describe("queuedRetryDelayMs (the sdk delay the outbox uses)", () => {
  it("caps the backoff at maxRetryDelayMs but never shortens Retry-After", () => {
    expect(queuedRetryDelayMs(30, undefined, 1_000)).toBeLessThanOrEqual(1_000);
    expect(queuedRetryDelayMs(1, 600_000, 1_000)).toBe(600_000);
    expect(queuedRetryDelayMs(1, 0, 0)).toBe(0);
  });
});

describe.each(engines)("Retry-After on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    // The harness caps the backoff at 100 ms.
    t = await startTestGateway(engine);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A later invoice is claimed, posted and accepted: the worker has run claim rounds since this began. */
  async function laterClaimRound(): Promise<void> {
    const later = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    await t.waitFor(t.keyA, later.body.id, ["accepted"], 20_000);
  }

  it("a 429 with Retry-After: 600 is not posted again before it is due, whatever maxRetryDelayMs says", async () => {
    const invoice = sampleInvoice();
    const description = invoice.items[0]?.productDescription as string;
    t.faults.byDescription.set(description, "http429;retry-after=600");
    const posted = await t.call("POST", "/v1/invoices", { body: invoice });
    const id = posted.body.id as string;
    await t.waitFor(t.keyA, id, ["retrying"], 5_000);
    const { db } = t.gateway.store;
    const row = await db
      .selectFrom("outbox")
      .select("due_at")
      .where("invoice_id", "=", id)
      .executeTakeFirstOrThrow();
    const attempt = await db
      .selectFrom("attempts")
      .select("finished_at")
      .where("invoice_id", "=", id)
      .executeTakeFirstOrThrow();
    const finished = Date.parse(attempt.finished_at as string);
    expect(Date.parse(row.due_at) - finished).toBeGreaterThanOrEqual(599_000);
    // Past the 100 ms the capped backoff alone would have waited, claim rounds still leave it alone. The loop
    // waits on the worker's progress (each round is an accepted invoice), bounded by count; FBR's 600 s are
    // far beyond any pause of a loaded machine, so no clock decides the outcome.
    let rounds = 0;
    do {
      await laterClaimRound();
      rounds += 1;
    } while (Date.now() < finished + 200 && rounds < 100);
    await laterClaimRound();
    const attempts = (await t.call("GET", `/v1/invoices/${id}/attempts`)).body.items;
    expect(attempts).toHaveLength(1);
    expect((await t.call("GET", `/v1/invoices/${id}`)).body.state).toBe("retrying");
    t.faults.byDescription.delete(description);
  });
});
