// PosBridge's till logic with the upstream injected (the one seam the bridge has for FBR): bounded waits,
// joining an upload already on the wire, and the classification's consequences.
import type { ImsInvoice, PostOutcome } from "@raseed/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import documentation from "../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import { SaleJournal } from "./journal.ts";
import { PosBridge } from "./service.ts";
import type { BridgeLogger, ImsUpstream } from "./upload.ts";

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
  postData(invoice: ImsInvoice): Promise<PostOutcome> {
    this.posted.push(invoice);
    return new Promise((resolve) => this.#waiting.push(resolve));
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
  journal.close();
});

describe("PosBridge at the till", () => {
  it("answers FBR's number when FBR answers within the bound", async () => {
    const pending = bridge.getInvoiceNumberByModel(sale("A"), {});
    await new Promise((resolve) => setTimeout(resolve, 10));
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
    const started = performance.now();
    const first = await bridge.getInvoiceNumberByModel(sale("B"), {});
    expect(performance.now() - started).toBeLessThan(1500);
    expect(first.reply.Code).toBe("150");
    expect(journal.findSale(110014, "B")).toMatchObject({ state: "uploading", provisional: true });
    upstream.answer({ kind: "accepted", invoiceNumber: "FBR-B", itemNumbers: [], exchange });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await bridge.getInvoiceNumberByModel(sale("B"), {})).reply.InvoiceNumber).toBe("FBR-B");
    expect(upstream.posted).toHaveLength(1);
  });

  it("joins the upload on the wire when the POS repeats a USIN, instead of posting again", async () => {
    const first = bridge.getInvoiceNumberByModel(sale("C"), {});
    const second = bridge.getInvoiceNumberByModel(sale("C"), {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    upstream.answer({ kind: "accepted", invoiceNumber: "FBR-C", itemNumbers: [], exchange });
    const replies = await Promise.all([first, second]);
    expect(replies.map((answer) => answer.reply.InvoiceNumber)).toEqual(["FBR-C", "FBR-C"]);
    expect(upstream.posted).toHaveLength(1);
  });

  it("keeps an in-doubt sale away from FBR however often the POS asks", async () => {
    const first = bridge.getInvoiceNumberByModel(sale("D"), {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    upstream.answer({ kind: "in_doubt", reason: "connection reset after the request was written", exchange });
    expect((await first).reply.Code).toBe("150");
    bridge.start();
    for (let i = 0; i < 3; i++)
      expect((await bridge.getInvoiceNumberByModel(sale("D"), {})).reply.Code).toBe("150");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.posted).toHaveLength(1);
    expect(journal.findSale(110014, "D")?.state).toBe("in_doubt");
  });

  it("relays FBR's rejection with FBR's code and each problem", async () => {
    const pending = bridge.getInvoiceNumberByModel(sale("E"), {});
    await new Promise((resolve) => setTimeout(resolve, 10));
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
