// The gateway posts to FBR through undici's `request` (src/tenants/post-transport.ts), not fetch. The sdk's
// classification must come out the same either way: each answer and each transport failure is provoked for
// real on 127.0.0.1 and posted twice, once with Node's fetch and once with the gateway's transport, and
// the two outcomes must agree (kind, reason, status, recorded body).
import { createServer, type Server, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { DiClient, type DiInvoice, type FetchLike, type PostOutcome } from "@raseed/sdk";
import { Agent } from "undici";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { postThrough } from "../src/tenants/post-transport.ts";

const TOKEN = "post-transport-token-abcdef";
const servers: Server[] = [];
const sockets = new Set<Socket>();
const agent = new Agent();
const viaRequest = postThrough(agent);

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => agent.close());

async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Calls `then` once each whole request (headers and body) has arrived on the socket. */
function onEachRequest(socket: Socket, then: () => void): void {
  let received = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    const headerEnd = received.indexOf("\r\n\r\n");
    if (headerEnd < 0) return;
    const length = Number(
      /content-length:\s*(\d+)/i.exec(received.subarray(0, headerEnd).toString())?.[1] ?? 0,
    );
    if (received.length - headerEnd - 4 < length) return;
    received = received.subarray(headerEnd + 4 + length);
    then();
  });
}

function answer(status: string, headers: Record<string, string>, body: Buffer | string): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const head = Object.entries({ ...headers, "content-length": String(bytes.length) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${status}\r\n${head}\r\n`), bytes]);
}

const invoice = { invoiceType: "Sale Invoice", items: [] } as unknown as DiInvoice;

function post(port: number, transport: FetchLike | undefined, https = false, timeoutMs = 2000) {
  return new DiClient({
    token: TOKEN,
    environment: "sandbox",
    baseUrl: `${https ? "https" : "http"}://127.0.0.1:${port}`,
    timeoutMs,
    maxRetries: 0,
    ...(transport !== undefined ? { fetch: transport } : {}),
  }).postInvoice(invoice);
}

/** What must agree: everything but the duration. */
function comparable(outcome: PostOutcome): unknown {
  const { exchange, ...rest } = outcome;
  return { ...rest, status: exchange?.status, responseBody: exchange?.responseBody };
}

/** Posts with fetch, then with the gateway's transport, on the same server; both outcomes. */
async function bothWays(port: number, https = false, timeoutMs = 2000): Promise<[unknown, unknown]> {
  const fetched = comparable(await post(port, undefined, https, timeoutMs));
  const requested = comparable(await post(port, viaRequest, https, timeoutMs));
  return [fetched, requested];
}

const ACCEPTED = JSON.stringify({
  invoiceNumber: "1234567DI1700000000001",
  dated: "2026-12-07 10:00:00",
  validationResponse: {
    statusCode: "00",
    status: "Valid",
    error: "",
    invoiceStatuses: [
      { itemSNo: "1", statusCode: "00", status: "Valid", invoiceNo: "1234567DI1700000000001-1" },
    ],
  },
});

describe("the gateway's post transport classifies as fetch does", () => {
  const answers: [string, (socket: Socket) => void, string][] = [
    [
      "an acceptance",
      (s) => s.write(answer("200 OK", { "content-type": "application/json" }, ACCEPTED)),
      "accepted",
    ],
    [
      "a gzip-encoded acceptance nobody asked for",
      (s) =>
        s.write(
          answer(
            "200 OK",
            { "content-type": "application/json", "content-encoding": "gzip" },
            gzipSync(ACCEPTED),
          ),
        ),
      "accepted",
    ],
    [
      "an acceptance behind a UTF-8 byte order mark",
      (s) =>
        s.write(
          answer("200 OK", {}, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(ACCEPTED)])),
        ),
      "accepted",
    ],
    [
      "a 503 with Retry-After",
      (s) => s.write(answer("503 Service Unavailable", { "retry-after": "7" }, "busy")),
      "throttled",
    ],
    [
      "a redirect (not followed)",
      (s) => s.write(answer("301 Moved Permanently", { location: "https://elsewhere.example/" }, "")),
      "throttled",
    ],
    [
      "an HTML 502 page",
      (s) => s.write(answer("502 Bad Gateway", {}, "<html>bad gateway</html>")),
      "in_doubt",
    ],
  ];
  for (const [what, respond, kind] of answers) {
    it(`${what}: ${kind}`, async () => {
      const port = await listen((socket) => onEachRequest(socket, () => respond(socket)));
      const [fetched, requested] = await bothWays(port);
      expect(fetched).toMatchObject({ kind });
      expect(requested).toEqual(fetched);
    });
  }

  it("a closed port: not_sent both ways", async () => {
    const port = await listen(() => {});
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const [fetched, requested] = await bothWays(port);
    expect(fetched).toMatchObject({ kind: "not_sent" });
    expect(requested).toEqual(fetched);
  });

  it("the socket destroyed after our body: in_doubt both ways", async () => {
    const port = await listen((socket) => onEachRequest(socket, () => socket.destroy()));
    const [fetched, requested] = await bothWays(port);
    expect(fetched).toMatchObject({ kind: "in_doubt" });
    expect(requested).toEqual(fetched);
  });

  it("a TCP reset after our body: in_doubt both ways", async () => {
    const port = await listen((socket) => onEachRequest(socket, () => socket.resetAndDestroy()));
    const [fetched, requested] = await bothWays(port);
    expect(fetched).toMatchObject({ kind: "in_doubt" });
    expect(requested).toEqual(fetched);
  });

  it("no answer before our timeout: in_doubt both ways", async () => {
    const port = await listen((socket) => onEachRequest(socket, () => {}));
    const [fetched, requested] = await bothWays(port, false, 200);
    expect(fetched).toMatchObject({ kind: "in_doubt" });
    expect(requested).toEqual(fetched);
  });

  it("a TLS handshake that never completes: not_sent (never written) both ways", async () => {
    const port = await listen((socket) => socket.on("data", () => {}));
    const [fetched, requested] = await bothWays(port, true, 200);
    expect(fetched).toMatchObject({ kind: "not_sent" });
    expect(requested).toEqual(fetched);
  });

  it("TLS spoken to a plain-TCP server: not_sent both ways", async () => {
    const port = await listen((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const [fetched, requested] = await bothWays(port, true);
    expect(fetched).toMatchObject({ kind: "not_sent" });
    expect(requested).toEqual(fetched);
  });

  it("a 200 whose body is cut short: in_doubt both ways, the token nowhere", async () => {
    const port = await listen((socket) =>
      onEachRequest(socket, () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a":');
        socket.end();
      }),
    );
    const [fetched, requested] = await bothWays(port);
    expect(fetched).toMatchObject({ kind: "in_doubt", status: 200 });
    expect(requested).toEqual(fetched);
    expect(JSON.stringify(requested)).not.toContain(TOKEN);
  });
});
