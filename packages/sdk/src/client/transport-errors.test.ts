// Provokes each transport failure for real against 127.0.0.1 with Node's own fetch (undici), so the error
// shapes classifyPostOutcome relies on are checked, not assumed. Each server is tiny and local.
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { DiInvoice } from "../wire/di.ts";
import { DiClient } from "./clients.ts";

const TOKEN = "real-transport-token-abcdef";
const servers: Server[] = [];
const sockets = new Set<Socket>();

async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const server of servers.splice(0)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** Calls `then` once the whole request (headers and the JSON body) has arrived. */
function afterFullRequest(socket: Socket, then: () => void): void {
  let received = "";
  socket.on("data", (chunk) => {
    received += chunk.toString("utf8");
    const headerEnd = received.indexOf("\r\n\r\n");
    if (headerEnd < 0) return;
    const length = Number(/content-length:\s*(\d+)/i.exec(received)?.[1] ?? "0");
    if (Buffer.byteLength(received.slice(headerEnd + 4)) >= length) then();
  });
  socket.on("error", () => {});
}

const invoice = { invoiceType: "Sale Invoice", items: [] } as unknown as DiInvoice;
const client = (port: number, timeoutMs = 2000) =>
  new DiClient({
    token: TOKEN,
    environment: "sandbox",
    baseUrl: `http://127.0.0.1:${port}`,
    timeoutMs,
    maxRetries: 0,
  });

describe("transport failures provoked on 127.0.0.1", () => {
  it("a closed port is ECONNREFUSED: not_sent", async () => {
    const port = await listen(() => {});
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    let thrown: unknown;
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).cause).toMatchObject({ code: "ECONNREFUSED", syscall: "connect" });
    const outcome = await client(port).postInvoice(invoice);
    expect(outcome.kind).toBe("not_sent");
  });

  it("the socket destroyed after our body was read is UND_ERR_SOCKET with bytesWritten > 0: in_doubt", async () => {
    const port = await listen((socket) => afterFullRequest(socket, () => socket.destroy()));
    let thrown: unknown;
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" });
    } catch (error) {
      thrown = error;
    }
    const cause = (thrown as Error).cause as { code: string; socket: { bytesWritten: number } };
    expect(cause.code).toBe("UND_ERR_SOCKET");
    expect(cause.socket.bytesWritten).toBeGreaterThan(0);
    const outcome = await client(port).postInvoice(invoice);
    expect(outcome.kind).toBe("in_doubt");
    expect(outcome.exchange?.requestBody).toBe(JSON.stringify(invoice));
  });

  it("a TCP reset after our body was read is ECONNRESET on read: in_doubt", async () => {
    const port = await listen((socket) => afterFullRequest(socket, () => socket.resetAndDestroy()));
    let thrown: unknown;
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).cause).toMatchObject({ code: "ECONNRESET", syscall: "read" });
    expect((await client(port).postInvoice(invoice)).kind).toBe("in_doubt");
  });

  it("a server that reads the body and never answers hits our timeout: in_doubt", async () => {
    let bodyArrived = false;
    const port = await listen((socket) =>
      afterFullRequest(socket, () => {
        bodyArrived = true;
      }),
    );
    // The server never answers: only our timeout can end the call (the reason names it; no stopwatch).
    const outcome = await client(port, 200).postInvoice(invoice);
    expect(bodyArrived).toBe(true);
    expect(outcome.kind).toBe("in_doubt");
    if (outcome.kind === "in_doubt") expect(outcome.reason).toContain("within 200 ms");
  });

  it("a TLS handshake that never completes times out before the request is written: not_sent", async () => {
    // The server takes the TCP connection (and the TLS ClientHello) but never answers: undici queues the
    // request and never writes its headers, which the diagnostics channel proves.
    const port = await listen((socket) => {
      socket.on("data", () => {});
      socket.on("error", () => {});
    });
    const tlsClient = new DiClient({
      token: TOKEN,
      environment: "sandbox",
      baseUrl: `https://127.0.0.1:${port}`,
      timeoutMs: 200,
      maxRetries: 0,
    });
    const outcome = await tlsClient.postInvoice(invoice);
    expect(outcome.kind).toBe("not_sent");
    if (outcome.kind === "not_sent") expect(outcome.reason).toContain("never written");
  });

  it("TLS spoken to a plain-TCP server fails before the request is written: not_sent", async () => {
    const port = await listen((socket) => {
      socket.on("error", () => {});
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    const tlsClient = new DiClient({
      token: TOKEN,
      environment: "sandbox",
      baseUrl: `https://127.0.0.1:${port}`,
      timeoutMs: 2000,
      maxRetries: 0,
    });
    const outcome = await tlsClient.postInvoice(invoice);
    expect(outcome.kind).toBe("not_sent");
  });

  it("a 200 whose body is cut short is in_doubt, and no outcome holds the token", async () => {
    const port = await listen((socket) =>
      afterFullRequest(socket, () => {
        socket.write(
          'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"invoiceNumber":',
        );
        setTimeout(() => socket.destroy(), 20);
      }),
    );
    const outcome = await client(port).postInvoice(invoice);
    expect(outcome).toMatchObject({ kind: "in_doubt", exchange: { status: 200 } });
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });
});
