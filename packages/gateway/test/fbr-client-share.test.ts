// createFbrClient (outbox/dispatch.ts): a seller with a static token has one DI client for all its posts,
// and a new one once its token changes; a seller with an OAuth2 token (it rotates) and a person's typed
// token get a client of their own each time, since a client redacts with the token it last sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFbrClient } from "../src/outbox/dispatch.ts";
import type { TenantRow } from "../src/store/schema.ts";
import { FbrConnections } from "../src/tenants/fbr-connections.ts";
import { findTenant, setTenantToken } from "../src/tenants/tenants.ts";
import { setTenantTransport } from "../src/tenants/transport.ts";
import { SELLER_A, startTestGateway, type TestGateway } from "./harness.ts";

describe("DI clients per seller", () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway("sqlite");
  });

  afterAll(async () => {
    await t?.close();
  });

  it("shares one client per static token, and none for an OAuth2 seller or a typed token", async () => {
    const connections = new FbrConnections({ masterKey: t.masterKey, fbrUrl: t.simulator.url });
    const transport = { fbrUrl: t.simulator.url, timeoutMs: 5_000, connections };
    const seller = async (): Promise<TenantRow> => {
      const row = await findTenant(t.gateway.store.db, SELLER_A.ntn);
      if (row === undefined) throw new Error("seller A missing");
      return row;
    };
    try {
      const first = createFbrClient(transport, { channel: "di", tenant: await seller() });
      expect(createFbrClient(transport, { channel: "di", tenant: await seller() })).toBe(first);
      const typed = createFbrClient(transport, { channel: "di", tenant: await seller(), token: "typed" });
      expect(typed).not.toBe(first);

      await setTenantToken(t.gateway.store.db, t.masterKey, SELLER_A.ntn, "a-new-token");
      const renewed = createFbrClient(transport, { channel: "di", tenant: await seller() });
      expect(renewed).not.toBe(first);
      expect(createFbrClient(transport, { channel: "di", tenant: await seller() })).toBe(renewed);

      await setTenantTransport(t.gateway.store.db, t.masterKey, SELLER_A.ntn, {
        fbrUrl: "http://127.0.0.1:9",
        oauth2: { tokenUrl: "http://127.0.0.1:9/oauth2/token", clientId: "erp", clientSecret: "secret" },
      });
      const rotating = createFbrClient(transport, { channel: "di", tenant: await seller() });
      expect(createFbrClient(transport, { channel: "di", tenant: await seller() })).not.toBe(rotating);
    } finally {
      await connections.close();
    }
  });
});
