// FBR's documented IMS answers (spec/data/ims.json "responses"), replayed byte for byte by a plain HTTP
// server standing in for FBR, and what the bridge tells the till for each.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeConfig, kbSale, postSale, startBridge, tempDir } from "./helpers.ts";

const ims = JSON.parse(readFileSync(new URL("../../../spec/data/ims.json", import.meta.url), "utf8")) as {
  responses: Record<string, Record<string, unknown>>;
};

/** The documented bodies as FBR sends them: the KB's FBRInvoiceNumber is a bare 20-digit JSON number. */
const bodies: Record<string, string> = {
  success_local: JSON.stringify(ims.responses.success_local),
  success_kb:
    '{"FBRInvoiceNumber":11000120181112000369,"Response":"Invoice received successfully","Code":"100"}',
  rejected_observed: JSON.stringify({
    Code: ims.responses.rejected_observed?.Code,
    Response: ims.responses.rejected_observed?.Response,
    InvoiceNumber: ims.responses.rejected_observed?.InvoiceNumber,
  }),
};

let answerWith = "success_local";
let posts = 0;
let fbr: Server;
let fbrUrl: string;
const dir = tempDir();
let bridge: Awaited<ReturnType<typeof startBridge>>;

beforeAll(async () => {
  fbr = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      posts += 1;
      response.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      response.end(bodies[answerWith]);
    });
  });
  await new Promise<void>((resolve) => fbr.listen(0, "127.0.0.1", resolve));
  fbrUrl = `http://127.0.0.1:${(fbr.address() as AddressInfo).port}`;
  bridge = await startBridge(bridgeConfig(dir.path, fbrUrl));
});
afterAll(async () => {
  await bridge.close();
  await new Promise((resolve) => fbr.close(resolve));
  dir.remove();
});

describe("FBR's documented answers", () => {
  it("passes the component's success through unchanged", async () => {
    answerWith = "success_local";
    const reply = await postSale(bridge.url, kbSale("DOC-1"));
    expect(reply.text).toBe(bodies.success_local);
  });

  it("answers the KB's older success in the component's shape, keeping all 20 digits of the number", async () => {
    answerWith = "success_kb";
    const reply = await postSale(bridge.url, kbSale("DOC-2"));
    expect(reply.body).toEqual({
      InvoiceNumber: "11000120181112000369",
      Code: "100",
      Response: "Fiscal Invoice Number generated successfully.",
      Errors: null,
    });
  });

  it("relays the observed rejection (Code 102, InvoiceNumber Not Available) as a rejection, uploaded once", async () => {
    answerWith = "rejected_observed";
    const before = posts;
    const reply = await postSale(bridge.url, kbSale("DOC-3"));
    expect(reply.body).toMatchObject({
      Code: "102",
      Response: "Invalid data received",
      InvoiceNumber: "Not Available",
    });
    expect((reply.body.Errors as unknown[]).length).toBeGreaterThan(0);
    await postSale(bridge.url, kbSale("DOC-3"));
    expect(posts - before).toBe(1);
  });
});
