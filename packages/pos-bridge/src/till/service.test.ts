// PosBridge's till logic with the upstream injected (the one seam the bridge has for FBR): bounded waits,
// joining an upload already on the wire, and the classification's consequences.
import type { ImsInvoice, PostOutcome } from "@raseed/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import documentation from "../../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import { SaleJournal } from "../journal/journal.ts";
import type { BridgeLogger } from "../telemetry.ts";
import type { ImsUpstream } from "../upload/uploader.ts";
import { PosBridge } from "./service.ts";

const quiet: BridgeLogger = { info: () => {}, warn: () => {}, error: () => {} };

function sale(usin: string): Record<string, unknown> {
  const { BuyerCNIC: _cnic, ...model } = documentation.kbModel;
  return { ...model, USIN: usin };
}

const exchange = { url: "http://fbr.test/FBR/v1/api/Live/PostData", requestBody: "{}", durationMs: 1 };

/** An upstream whose answers the test releases by hand. */
class ScriptedUpstream implements ImsUpstream {
  readonly posted: ImsInvoice[] = [];
  readonly #waiting: ((outcome: PostOutcome) => void)[] = [];
  readonly #postListeners: (() => void)[] = [];
  postData(invoice: ImsInvoice): Promise<PostOutcome> {
    this.posted.push(invoice);
    const answered = new Promise<PostOutcome>((resolve) => this.#waiting.push(resolve));
    for (const listener of this.#postListeners.splice(0)) listener();
    return answered;
  }
  /** Resolves once a post is waiting for its answer (at once if one already is): no sleeping. */
  posting(): Promise<void> {
    if (this.#waiting.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#postListeners.push(resolve));
  }
  answer(outcome: PostOutcome): void {
    const next = this.#waiting.shift();
    if (next === undefined) throw new Error("no post is waiting for an answer");
    next(outcome);
  }
}

let journal: SaleJournal;
let upstream: ScriptedUpstream;
let bridge: PosBridge;

function makeBridge(tillTimeoutMs: number): PosBridge {
  return new PosBridge({
    settings: {
      tills: [{ posId: 110014, token: "t" }],
      tillTimeoutMs,
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
}

beforeEach(() => {
  journal = new SaleJournal(":memory:");
  upstream = new ScriptedUpstream();
  // Generous: the machine is shared; only the bound test below needs a short one.
  bridge = makeBridge(2000);
});
afterEach(async () => {
  // Release anything still waiting so stop() does not hang.
  for (;;) {
    try {
      upstream.answer({ kind: "in_doubt", reason: "test over" });
    } catch {
      break;
    }
  }
  await bridge.stop();
  await journal.close();
});

describe("PosBridge at the till", () => {
  it("answers FBR's number when FBR answers within the bound", async () => {
    const pending = bridge.getInvoiceNumberByModel(sale("A"), {});
    await upstream.posting();
    upstream.answer({ kind: "accepted", invoiceNumber: "FBR-A", itemNumbers: [], exchange });
    expect((await pending).reply).toEqual({
      InvoiceNumber: "FBR-A",
      Code: "100",
      Response: "Fiscal Invoice Number generated successfully.",
      Errors: null,
    });
  });

  it("answers provisionally at the bound, keeps the upload, and a later request gets the number", async () => {
    bridge = makeBridge(100);
    // The upstream has not answered (the test holds its answer), so only the bound can end this wait.
    const first = await bridge.getInvoiceNumberByModel(sale("B"), {});
    expect(first.reply.Code).toBe("150");
    const uploading = journal.findSale(110014, "B");
    expect(uploading).toMatchObject({ state: "uploading", provisional: true });
    const upload = bridge.uploader.inFlight(uploading?.id ?? -1);
    expect(upload).toBeDefined();
    upstream.answer({ kind: "accepted", invoiceNumber: "FBR-B", itemNumbers: [], exchange });
    expect(await upload).toEqual({ kind: "accepted", fbrInvoiceNumber: "FBR-B" });
    expect((await bridge.getInvoiceNumberByModel(sale("B"), {})).reply.InvoiceNumber).toBe("FBR-B");
    expect(upstream.posted).toHaveLength(1);
  });

  it("joins the upload on the wire when the POS repeats a USIN, instead of posting again", async () => {
    const first = bridge.getInvoiceNumberByModel(sale("C"), {});
    const second = bridge.getInvoiceNumberByModel(sale("C"), {});
    await upstream.posting();
    upstream.answer({ kind: "accepted", invoiceNumber: "FBR-C", itemNumbers: [], exchange });
    const replies = await Promise.all([first, second]);
    expect(replies.map((answer) => answer.reply.InvoiceNumber)).toEqual(["FBR-C", "FBR-C"]);
    expect(upstream.posted).toHaveLength(1);
  });

  it("keeps an in-doubt sale away from FBR however often the POS asks", async () => {
    const first = bridge.getInvoiceNumberByModel(sale("D"), {});
    await upstream.posting();
    upstream.answer({ kind: "in_doubt", reason: "connection reset after the request was written", exchange });
    expect((await first).reply.Code).toBe("150");
    bridge.start();
    for (let i = 0; i < 3; i++)
      expect((await bridge.getInvoiceNumberByModel(sale("D"), {})).reply.Code).toBe("150");
    // The background loop goes round several times and leaves the in-doubt sale alone.
    let passes = 0;
    await new Promise<void>((resolve) => {
      const counted = (): void => {
        passes += 1;
        if (passes < 5) return;
        bridge.events.off("loop-pass", counted);
        resolve();
      };
      bridge.events.on("loop-pass", counted);
    });
    expect(upstream.posted).toHaveLength(1);
    expect(journal.findSale(110014, "D")?.state).toBe("in_doubt");
  });

  it("relays FBR's rejection with FBR's code and each problem", async () => {
    const pending = bridge.getInvoiceNumberByModel(sale("E"), {});
    await upstream.posting();
    upstream.answer({
      kind: "rejected",
      errors: [{ code: "102", message: "PCTCode is not valid", level: "item", item: 1 }],
      exchange: {
        ...exchange,
        status: 200,
        responseBody: '{"Code":"102","Response":"Invalid data received","InvoiceNumber":"Not Available"}',
      },
    });
    expect((await pending).reply).toEqual({
      InvoiceNumber: "Not Available",
      Code: "102",
      Response: "Invalid data received",
      Errors: [{ Code: "102", Field: "", Path: "Items[0]", Item: 1, Message: "PCTCode is not valid" }],
    });
  });
});
