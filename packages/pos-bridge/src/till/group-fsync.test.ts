// The bridge with the journal's group commit: nothing is uploaded before the fsync covering its claim, no
// till is answered before the fsync covering FBR's verdict, and tills selling at once share fsyncs. The
// journal's fsync and FBR's answers are both held and released by the test: no clock.
import { EventEmitter, once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImsInvoice, PostOutcome } from "@raseed/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import documentation from "../../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import { HeldFsync } from "../../test/held-fsync.ts";
import { SaleJournal } from "../journal/journal.ts";
import type { BridgeLogger } from "../telemetry.ts";
import type { ImsUpstream } from "../upload/uploader.ts";
import { PosBridge } from "./service.ts";

const quiet: BridgeLogger = { info: () => {}, warn: () => {}, error: () => {} };
const exchange = { url: "http://fbr.test/FBR/v1/api/Live/PostData", requestBody: "{}", durationMs: 1 };

function sale(usin: string): Record<string, unknown> {
  const { BuyerCNIC: _cnic, ...model } = documentation.kbModel;
  return { ...model, USIN: usin };
}

/** An upstream that emits "post" for each request and answers when the test says. */
class HeldUpstream extends EventEmitter<{ post: [] }> implements ImsUpstream {
  readonly posted: ImsInvoice[] = [];
  readonly #waiting: ((outcome: PostOutcome) => void)[] = [];
  postData(invoice: ImsInvoice): Promise<PostOutcome> {
    this.posted.push(invoice);
    const answered = new Promise<PostOutcome>((resolve) => this.#waiting.push(resolve));
    this.emit("post");
    return answered;
  }
  async postedAtLeast(count: number): Promise<void> {
    while (this.posted.length < count) await once(this, "post");
  }
  acceptAll(): void {
    for (const [index, resolve] of this.#waiting.splice(0).entries())
      resolve({ kind: "accepted", invoiceNumber: `FBR-${index}`, itemNumbers: [], exchange });
  }
}

function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  void promise.finally(() => {
    done = true;
  });
  return () => done;
}

describe("PosBridge with the journal's group commit", () => {
  let dir: string;
  let held: HeldFsync;
  let journal: SaleJournal;
  let upstream: HeldUpstream;
  let bridge: PosBridge;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "raseed-bridge-fsync-"));
    held = new HeldFsync();
    journal = new SaleJournal(join(dir, "journal.sqlite"), { groupFsync: true, fsync: held.fsync });
    upstream = new HeldUpstream();
    bridge = new PosBridge({
      settings: {
        tills: [{ posId: 110014, token: "t" }],
        tillTimeoutMs: 60_000,
        maxBackoffMs: 50,
        pollIntervalMs: 20,
        uploadConcurrency: 2,
        backlogWarningMs: 3_600_000,
        backlogCheckIntervalMs: 60_000,
      },
      journal,
      createUpstream: () => upstream,
      logger: quiet,
    });
  });
  afterEach(async () => {
    upstream.acceptAll();
    while (held.waiting > 0) held.release();
    await bridge.stop();
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("uploads only after the claim is on disk, and answers only after FBR's number is", async () => {
    const reply = bridge.getInvoiceNumberByModel(sale("A"), {});
    const answered = settled(reply);
    await held.startedAtLeast(1);
    // The sale and its claim are committed but not yet flushed: nothing has left for FBR.
    expect(journal.findSale(110014, "A")?.state).toBe("uploading");
    expect(upstream.posted).toHaveLength(0);
    held.release();
    await upstream.postedAtLeast(1);
    upstream.acceptAll();
    await held.startedAtLeast(2);
    // FBR's number is committed, its flush still running: the till has not heard it.
    expect(journal.findSale(110014, "A")?.state).toBe("accepted");
    expect(answered()).toBe(false);
    held.release();
    expect((await reply).reply).toMatchObject({ Code: "100", InvoiceNumber: "FBR-0" });
    expect(held.started).toBe(2);
  });

  it("lets eight tills selling at once share fsyncs instead of two each", async () => {
    const tills = 8;
    const replies = Array.from({ length: tills }, (_, index) =>
      bridge.getInvoiceNumberByModel(sale(`S${index}`), {}),
    );
    // The first sale's claim is flushed alone (its fsync began at once); the other seven, committed while
    // it ran, share the next.
    await held.startedAtLeast(1);
    expect(upstream.posted).toHaveLength(0);
    held.release();
    await held.startedAtLeast(2);
    held.release();
    await upstream.postedAtLeast(tills);
    expect(held.started).toBe(2);
    upstream.acceptAll();
    const all = Promise.all(replies);
    const done = settled(all);
    for (let round = 0; !done(); round++) {
      if (round >= tills) throw new Error("FBR's verdicts were not flushed together");
      if (held.waiting === 0) await Promise.race([all, held.startedAtLeast(held.started + 1)]);
      if (held.waiting > 0) held.release();
      await Promise.race([all, held.startedAtLeast(held.started + 1)]);
    }
    const answers = await Promise.all(replies);
    expect(answers.every((answer) => answer.reply.Code === "100")).toBe(true);
    expect(upstream.posted).toHaveLength(tills);
    // Two fsyncs per sale without grouping (claim, verdict); grouped, a few for all eight.
    expect(held.started).toBeLessThanOrEqual(4);
  });
});
