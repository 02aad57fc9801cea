// The transport the sdk's ImsClient posts through in the bridge: undici's `request` on a keep-alive Agent
// instead of the global `fetch`. Every sale at the till waits for its upload, and fetch's WHATWG layers
// (Request/Response objects, web streams for the body both ways) were the bridge's largest CPU cost per sale
// (issue 11, docs/performance.md). undici's `request` publishes the same diagnostics events as fetch, so the
// sdk still learns whether a request was written (client/internal/write-tracker.ts), and its errors carry
// the codes the sdk classifies (fetch only wraps them).
import type { FetchLike } from "@raseed/sdk";
import { Agent, request } from "undici";

export interface ImsTransport {
  fetch: FetchLike;
  /** Closes the kept-alive connections (waits for requests still on the wire). */
  close(): Promise<void>;
}

export function createImsTransport(): ImsTransport {
  // The sdk bounds each attempt with its own timeout (abort signal), so undici's own are not needed on top.
  const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
  const post: FetchLike = async (url, init) => {
    // undici's request never follows redirects unless told to: a 3xx comes back as it is (init.redirect).
    const response = await request(url, {
      dispatcher: agent,
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    return { status: response.statusCode, headers, text: () => response.body.text() };
  };
  return { fetch: post, close: () => agent.close() };
}
