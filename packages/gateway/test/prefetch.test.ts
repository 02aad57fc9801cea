// workerPrefetch: attempts recorded ahead of a free slot. A slot freed by FBR's answer posts the next one
// at once, before the answer's settlement commits; never more than workerConcurrency posts are on the wire,
// and a graceful stop withdraws what was recorded ahead (not_sent, tried again later) instead of posting
// it. The order of events is what is asserted (posts held on the wire by the test, state changes the
// gateway emits), never the clock.
import { describe, expect, it } from "vitest";
import {
  SELLER_A,
  sampleInvoice,
  simInvoices,
  startTestGateway,
  storedAfterClose,
  type TestGateway,
} from "./harness.ts";

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

/**
 * One slot: "first" is submitted and held on the wire, then each of `behind` is submitted and waits in
 * `waiting` (recorded ahead: submitting; or still queued). Answers the ids and the release of "first".
 */
async function queueBehindHeld(
  t: TestGateway,
  descriptions: Map<string, string>,
  behind: string[],
  waiting: string,
): Promise<{ first: string; behind: string[]; releaseFirst: () => void }> {
  const releaseFirst = t.faults.hold("first");
  const first = await submit(t, "first", descriptions);
  await t.faults.untilInFlight(SELLER_A.ntn, 1);
  const ids: string[] = [];
  for (const description of behind) ids.push(await submit(t, description, descriptions));
  for (const id of ids) await t.waitFor(t.keyA, id, [waiting]);
  return { first, behind: ids, releaseFirst };
}

describe("worker prefetch", () => {
  // One slot, the first post held on the wire and a second invoice submitted meanwhile: with prefetch it is
  // recorded ahead and posted at the first answer, before that answer's settlement commits; without, it
  // waits queued for the settlement that records it.
  it.each([
    {
      name: "posts the attempt recorded ahead when FBR answers, before that answer's settlement commits",
      prefetch: 1,
      waiting: "submitting",
      order: ["post first", "post second", "settled first", "settled second"],
    },
    {
      name: "without prefetch the next post waits for the settlement that records it",
      prefetch: 0,
      waiting: "queued",
      order: ["post first", "settled first", "post second", "settled second"],
    },
  ])("$name", async ({ prefetch, waiting, order: expected }) => {
    const t = await startTestGateway("sqlite", {
      workerConcurrency: 1,
      tenantConcurrency: 1,
      workerPrefetch: prefetch,
    });
    try {
      const descriptions = new Map<string, string>();
      const order = recordOrder(t, descriptions);
      // Recorded ahead (durable as submitting, not on the wire), or still queued.
      const { first, behind, releaseFirst } = await queueBehindHeld(t, descriptions, ["second"], waiting);
      const second = behind[0] as string;
      expect(t.gateway.worker.recordedAhead).toBe(prefetch);
      expect(order).toEqual(["post first"]);
      releaseFirst();
      await t.waitFor(t.keyA, first, ["accepted"]);
      await t.waitFor(t.keyA, second, ["accepted"]);
      expect(order).toEqual(expected);
      expect(t.faults.maxInFlightBySeller.get(SELLER_A.ntn)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it("while the breaker is open the attempts recorded ahead wait; the probe is one of them", async () => {
    const t = await startTestGateway("sqlite", {
      workerConcurrency: 1,
      tenantConcurrency: 1,
      workerPrefetch: 2,
      breakerThreshold: 1,
    });
    try {
      const descriptions = new Map<string, string>();
      const order: string[] = [];
      t.faults.onPost = (description) => {
        if (description !== undefined) order.push(`post ${description}`);
      };
      // FBR turns the first post away (503): the breaker opens with two attempts recorded behind it. Its
      // retry, later, is answered.
      t.faults.byDescription.set("first", "http503");
      t.gateway.events.on("breaker.changed", ({ state }) => {
        order.push(`breaker ${state}`);
        if (state === "open") t.faults.byDescription.delete("first");
      });
      const {
        first,
        behind: ahead,
        releaseFirst,
      } = await queueBehindHeld(t, descriptions, ["second", "third"], "submitting");
      releaseFirst();
      for (const id of [first, ...ahead]) await t.waitFor(t.keyA, id, ["accepted"]);
      // Nothing is posted while open; the half-open probe is the oldest attempt waiting.
      expect(order.slice(0, 5)).toEqual([
        "post first",
        "breaker open",
        "breaker half_open",
        "post second",
        "breaker closed",
      ]);
      expect(order.slice(5).sort()).toEqual(["post first", "post third"]);
      const reported = (await simInvoices(t.simulator)).filter((r) => r.channel === "di");
      expect(reported.map((r) => r.postCount)).toEqual([1, 1, 1]);
    } finally {
      await t.close();
    }
  });

  it("a graceful stop posts nothing new: what was recorded ahead is withdrawn, not_sent, and waits to be retried", async () => {
    const t = await startTestGateway("sqlite", {
      workerConcurrency: 1,
      tenantConcurrency: 1,
      workerPrefetch: 2,
      drainTimeoutMs: 30_000,
    });
    try {
      const descriptions = new Map<string, string>();
      const { first, behind, releaseFirst } = await queueBehindHeld(
        t,
        descriptions,
        ["second", "third"],
        "submitting",
      );
      const ids = [first, ...behind];
      expect(t.gateway.worker.recordedAhead).toBe(2);
      const closing = t.gateway.close();
      releaseFirst();
      await closing;
      expect(await storedAfterClose(t, ids)).toEqual({
        states: ["accepted", "retrying", "retrying"],
        attempts: [["accepted"], ["not_sent"], ["not_sent"]],
        outbox: 2,
      });
      const reported = (await simInvoices(t.simulator)).filter((r) => r.channel === "di");
      expect(reported.map((r) => r.postCount)).toEqual([1]);
    } finally {
      await t.close();
    }
  });

  it("a seller whose token FBR refuses is posted nothing more: what was recorded ahead is withdrawn", async () => {
    const t = await startTestGateway("sqlite", {
      workerConcurrency: 1,
      tenantConcurrency: 1,
      workerPrefetch: 2,
    });
    try {
      const descriptions = new Map<string, string>();
      const posts: string[] = [];
      t.faults.onPost = (description) => {
        if (description !== undefined) posts.push(description);
      };
      // FBR refuses the seller's token on the first post, with two attempts recorded behind it.
      t.faults.byDescription.set("first", "unauthorized401");
      const { first, behind, releaseFirst } = await queueBehindHeld(
        t,
        descriptions,
        ["second", "third"],
        "submitting",
      );
      releaseFirst();
      await t.waitFor(t.keyA, first, ["paused"]);
      // Withdrawn, not posted: paused with the seller's other invoices until the seller has a new token.
      for (const id of behind) await t.waitFor(t.keyA, id, ["paused"]);
      expect(posts).toEqual(["first"]);
      expect(t.gateway.worker.recordedAhead).toBe(0);
      for (const id of behind) {
        const attempts = await t.call("GET", `/v1/invoices/${id}/attempts`, { key: t.keyA });
        expect(
          attempts.body.items.map((a: { outcome: string; reason: string }) => [a.outcome, a.reason]),
        ).toEqual([
          ["not_sent", "withdrawn before it was posted: FBR refused the seller's token on another post"],
        ]);
      }
      // The seller stays paused for FBR's own reason, not the withdrawals'.
      const seller = await t.gateway.store.db
        .selectFrom("tenants")
        .select(["paused_at", "paused_reason"])
        .where("ntn", "=", SELLER_A.ntn)
        .executeTakeFirstOrThrow();
      expect(seller.paused_at).not.toBeNull();
      expect(seller.paused_reason).not.toContain("withdrawn");
      await t.gateway.close();
      expect(await storedAfterClose(t, [first, ...behind])).toEqual({
        states: ["paused", "paused", "paused"],
        attempts: [["unauthorised"], ["not_sent"], ["not_sent"]],
        outbox: 3,
      });
      const reported = (await simInvoices(t.simulator)).filter((r) => r.channel === "di");
      expect(reported).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
