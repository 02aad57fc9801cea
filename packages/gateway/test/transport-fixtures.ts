// Real loopback parts for the FBR transport tests: a CONNECT proxy (what a fixed-IP egress host runs) and a
// relay in front of the simulator (what a licensed integrator runs), over plain HTTP or mutual TLS.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type Server as NetServer, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";

export const tlsFixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url), "utf8");

function trackSockets(server: NetServer): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

async function listen(server: NetServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface ConnectProxy {
  /** http://user:password@127.0.0.1:port */
  url: string;
  /** The host:port of every tunnel asked for, in order (refused ones included). */
  tunnels: string[];
  /** Tunnels refused for a missing or wrong Proxy-Authorization. */
  refused: number;
  /** Plain (non-CONNECT) requests: a proxy sees these only when a client forwards instead of tunnelling. */
  plainRequests: number;
  close(): Promise<void>;
}

/** An HTTP proxy that only tunnels (CONNECT), after checking Basic credentials. */
export async function startConnectProxy(user: string, password: string): Promise<ConnectProxy> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const proxy: Omit<ConnectProxy, "url" | "close"> = { tunnels: [], refused: 0, plainRequests: 0 };
  const server = createServer((_request, response) => {
    proxy.plainRequests += 1;
    response.writeHead(405).end();
  });
  server.on("connect", (request: IncomingMessage, client: Socket, head: Buffer) => {
    const target = request.url ?? "";
    proxy.tunnels.push(target);
    if (request.headers["proxy-authorization"] !== expected) {
      proxy.refused += 1;
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n");
      return;
    }
    const [host, port] = target.split(":");
    const upstream = connect(Number(port), host ?? "", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  const close = trackSockets(server);
  const port = await listen(server);
  return Object.assign(proxy, {
    url: `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    close,
  });
}

export interface Relay {
  url: string;
  /** What the relay saw, per request. */
  seen: { path: string; authorization: string | undefined; clientCertificate: string | undefined }[];
  /** Tokens issued by /oauth2/token, in order. */
  issuedTokens: string[];
  /** The Basic credentials sent to /oauth2/token. */
  tokenRequests: { authorization: string | undefined; body: string }[];
  close(): Promise<void>;
}

export interface RelayOptions {
  /** Where FBR calls are forwarded (the simulator). */
  upstream: string;
  /** The seller's PRAL token the relay puts on forwarded calls. */
  upstreamToken: string;
  /** Serve HTTPS and require a client certificate signed by tlsFixture("ca.pem"). */
  mutualTls?: boolean;
  /** Serve /oauth2/token and accept only Bearer tokens it issued (lifetime in seconds). */
  oauth2?: { clientId: string; clientSecret: string; expiresIn: number };
}

/** A licensed integrator's relay: checks the caller, then forwards the FBR call with the seller's token. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const relay: Omit<Relay, "url" | "close"> = { seen: [], issuedTokens: [], tokenRequests: [] };
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const socket = request.socket as Partial<TLSSocket>;
      const peer = socket.getPeerCertificate?.();
      const path = request.url ?? "/";
      if (path === "/oauth2/token" && options.oauth2 !== undefined) {
        const { clientId, clientSecret, expiresIn } = options.oauth2;
        relay.tokenRequests.push({ authorization: request.headers.authorization, body });
        const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`;
        if (request.headers.authorization !== basic) {
          response.writeHead(401, { "content-type": "application/json" });
          response.end('{"error":"invalid_client"}');
          return;
        }
        const token = `relay-token-${relay.issuedTokens.length + 1}`;
        relay.issuedTokens.push(token);
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: expiresIn }));
        return;
      }
      relay.seen.push({
        path,
        authorization: request.headers.authorization,
        clientCertificate: [peer?.subject?.CN ?? []].flat().join(",") || undefined,
      });
      if (options.oauth2 !== undefined) {
        const bearer = request.headers.authorization?.replace(/^Bearer /, "");
        if (bearer === undefined || !relay.issuedTokens.includes(bearer)) {
          response.writeHead(401).end();
          return;
        }
      }
      void fetch(`${options.upstream}${path}`, {
        method: request.method ?? "POST",
        headers: {
          authorization: `Bearer ${options.upstreamToken}`,
          "content-type": request.headers["content-type"] ?? "application/json",
        },
        ...(request.method === "GET" || request.method === "HEAD" ? {} : { body }),
      }).then(
        async (answer) => {
          response.writeHead(answer.status, { "content-type": "application/json" });
          response.end(await answer.text());
        },
        () => response.writeHead(502).end(),
      );
    });
  };
  const server = options.mutualTls
    ? createHttpsServer(
        {
          cert: tlsFixture("server.pem"),
          key: tlsFixture("server.key"),
          ca: tlsFixture("ca.pem"),
          requestCert: true,
          rejectUnauthorized: true,
        },
        handler,
      )
    : createServer(handler);
  const close = trackSockets(server);
  const port = await listen(server);
  return Object.assign(relay, {
    url: `${options.mutualTls ? "https" : "http"}://127.0.0.1:${port}`,
    close,
  });
}
