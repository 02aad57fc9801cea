// The transport the sdk's DI and IMS clients post through in the gateway: undici's `request` on a keep-alive
// dispatcher instead of `fetch`. The worker posts every invoice it drains, and fetch's WHATWG layers
// (Request/Response objects, web streams for the body both ways) were the largest part of its CPU per
// invoice after the database (issue 11, docs/performance.md; the POS bridge made the same change).
//
// What the classification relies on stays the same: undici's `request` publishes the same diagnostics events
// as fetch (so the sdk still learns whether the request was written, client/internal/write-tracker.ts), and
// its errors are the ones fetch wraps as `cause` (the sdk reads the whole chain). Redirects are not followed
// (`request` never follows them unless told), and an answer with a Content-Encoding is decoded as fetch
// decodes it, though none is asked for.
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { FetchLike } from "@raseed/sdk";
import { type Dispatcher, request } from "undici";

const decoders: Readonly<Record<string, (body: Buffer) => Promise<Buffer>>> = {
  gzip: promisify(zlib.gunzip),
  "x-gzip": promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

/** Posts through `dispatcher` (an Agent, a proxy agent, one with client TLS settings). */
export function postThrough(dispatcher: Dispatcher): FetchLike {
  return async (url, init) => {
    const response = await request(url, {
      dispatcher,
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const encoding = headers["content-encoding"]?.trim().toLowerCase();
    const decode = encoding === undefined || encoding === "identity" ? undefined : decoders[encoding];
    const text =
      decode === undefined
        ? () => response.body.text()
        : async () => {
            const decoded = await decode(Buffer.from(await response.body.arrayBuffer()));
            return new TextDecoder().decode(decoded);
          };
    return { status: response.statusCode, headers, text };
  };
}
