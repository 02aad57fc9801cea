// The OAuth2 client-credentials provider against a real token endpoint on 127.0.0.1, and a DiClient using
// it against the real simulator: the expired token is refreshed (injected clock), a live one is reused.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DEMO_WORLD, type RunningSimulator, startSimulator } from "@raseed/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiClient } from "./clients.ts";
import { oauth2ClientCredentials, TokenProviderError } from "./token-provider.ts";

let server: Server;
let tokenUrl = "";
const requests: { authorization: string | undefined; body: string }[] = [];
let answerStatus = 200;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      requests.push({ authorization: request.headers.authorization, body });
      response.writeHead(answerStatus, { "Content-Type": "application/json" });
      // The relay's token happens to be the simulator's sandbox token, so the simulator accepts it.
      response.end(
        JSON.stringify({
          access_token: DEMO_WORLD.seller.sandboxToken,
          token_type: "Bearer",
          expires_in: 3600,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("oauth2ClientCredentials", () => {
  it("posts the client credentials once, reuses the token, and fetches a new one when it expires", async () => {
    requests.length = 0;
    let clock = 1_000_000;
    const token = oauth2ClientCredentials({
      tokenUrl,
      clientId: "erp",
      clientSecret: "s3cret",
      scope: "di",
      now: () => clock,
      refreshMarginMs: 60_000,
    });
    const [first, second] = await Promise.all([token(), token()]);
    expect(first).toBe(DEMO_WORLD.seller.sandboxToken);
    expect(second).toBe(first);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.authorization).toBe(`Basic ${Buffer.from("erp:s3cret").toString("base64")}`);
    expect(requests[0]?.body).toBe("grant_type=client_credentials&scope=di");

    clock += 3_540_000 - 1; // one millisecond before expiry minus the margin: still the cached token
    await token();
    expect(requests).toHaveLength(1);
    clock += 1; // now expired (by the margin): a new request
    await token();
    expect(requests).toHaveLength(2);
  });

  it("says what went wrong without the secret", async () => {
    answerStatus = 401;
    try {
      const token = oauth2ClientCredentials({ tokenUrl, clientId: "erp", clientSecret: "s3cret" });
      const error = await token().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TokenProviderError);
      expect(String((error as Error).message)).toBe("token endpoint answered HTTP 401");
    } finally {
      answerStatus = 200;
    }
  });
});

describe("DiClient with a token provider", () => {
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await simulator.close();
  });

  it("asks the provider before each attempt; a provider that fails is not_sent (nothing posted)", async () => {
    let calls = 0;
    const client = new DiClient({
      environment: "sandbox",
      baseUrl: simulator.url,
      maxRetries: 0,
      token: async () => {
        calls += 1;
        if (calls === 2) throw new Error("relay down");
        return DEMO_WORLD.seller.sandboxToken;
      },
    });
    const probe = { invoiceType: "Sale Invoice", sellerNTNCNIC: DEMO_WORLD.seller.ntn };
    const first = await client.validateInvoice(probe as never);
    expect(first.kind).toBe("rejected"); // the simulator read the token and judged the payload
    const second = await client.validateInvoice(probe as never);
    expect(second).toMatchObject({ kind: "not_sent", reason: "no token to send: relay down" });
    expect(calls).toBe(2);
  });
});
