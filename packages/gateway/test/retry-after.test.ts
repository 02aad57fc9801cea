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

  it("a 429 with Retry-After: 3 is not posted again before 3 s, whatever maxRetryDelayMs says", async () => {
    const invoice = sampleInvoice();
    const description = invoice.items[0]?.productDescription as string;
    t.faults.byDescription.set(description, "http429;retry-after=3");
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
    expect(Date.parse(row.due_at) - Date.parse(attempt.finished_at as string)).toBeGreaterThanOrEqual(2_900);
    await new Promise((r) => setTimeout(r, 1_000));
    const attempts = (await t.call("GET", `/v1/invoices/${id}/attempts`)).body.items;
    expect(attempts).toHaveLength(1);
    t.faults.byDescription.delete(description);
  });
});
