// ReferenceClient over real HTTP on 127.0.0.1 with Node's own fetch: headers on the wire and a timeout.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReferenceClient } from "./client.ts";
import { uomRows } from "./snapshot.ts";

let server: Server;
let baseUrl: string;
const seen: {
  url: string | undefined;
  method: string | undefined;
  authorization: string | undefined;
  body: string;
}[] = [];

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => resolve(body));
  });
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((body) => {
      seen.push({
        url: request.url,
        method: request.method,
        authorization: request.headers.authorization,
        body,
      });
      if (request.url === "/pdi/v1/uom") return; // never answers: the client's timeout must end the wait
      response.setHeader("Content-Type", "application/json");
      response.end(
        JSON.stringify({ statuscode: "00", REGISTRATION_NO: "2046004", REGISTRATION_TYPE: "Registered" }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("ReferenceClient over HTTP", () => {
  it("sends the Bearer token and the JSON body", async () => {
    const reference = new ReferenceClient({ token: "tok-abc", baseUrl });
    const answer = await reference.registrationType("2046004");
    expect(answer).toEqual({ statuscode: "00", REGISTRATION_NO: "2046004", REGISTRATION_TYPE: "Registered" });
    expect(seen.at(-1)).toEqual({
      url: "/dist/v1/Get_Reg_Type",
      method: "POST",
      authorization: "Bearer tok-abc",
      body: '{"Registration_No":"2046004"}',
    });
  });

  it("asks a token provider before every live call, and sends nothing when it fails", async () => {
    const tokens = ["relay-token-1", "relay-token-2"];
    const reference = new ReferenceClient({ token: async () => tokens.shift() ?? "", baseUrl, ttlMs: 0 });
    await reference.registrationType("2046004");
    expect(seen.at(-1)?.authorization).toBe("Bearer relay-token-1");
    await reference.registrationType("2046004");
    expect(seen.at(-1)?.authorization).toBe("Bearer relay-token-2");

    const before = seen.length;
    const failing = new ReferenceClient({
      token: async () => {
        throw new Error("token endpoint answered HTTP 401");
      },
      baseUrl,
    });
    await expect(failing.registrationType("2046004")).rejects.toMatchObject({
      code: "reference_network_error",
      message: "/dist/v1/Get_Reg_Type: no token to send: token endpoint answered HTTP 401",
    });
    expect(seen).toHaveLength(before);
  });

  it("gives up on a silent server after timeoutMs and answers from the snapshot", async () => {
    const reasons: string[] = [];
    const reference = new ReferenceClient({
      token: "tok-abc",
      baseUrl,
      timeoutMs: 150,
      onSnapshotFallback: (event) => reasons.push(event.reason),
    });
    // The server never answers: only our timeout can end the call (the reason names it; no stopwatch).
    expect(await reference.uoms()).toBe(uomRows());
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBe("/pdi/v1/uom: network error: no answer within 150 ms");
  });
});
