// Bridge → Raseed gateway → simulator, all over real HTTP on 127.0.0.1: the till's sale reaches FBR's
// (simulated) IMS cloud through the gateway's durable outbox, and the gateway's answer comes back to the
// till in the bridge's usual replies.
import { randomBytes } from "node:crypto";
import {
  addImsTerminal,
  addTenant,
  createApiKey,
  loadConfig,
  type RunningGateway,
  startGateway,
} from "@raseed/gateway";
import type { RunningSimulator } from "@raseed/simulator";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayUpstream, GatewayImsUpstream, loadBridgeConfig, startPosBridge } from "../src/index.ts";
import {
  bridgeConfig,
  collectingLogger,
  getJson,
  kbSale,
  postSale,
  SAMPLE_POS_ID,
  SAMPLE_TOKEN,
  simImsInvoices,
  startSim,
  tempDir,
  waitUntil,
} from "./helpers.ts";

/** Registered at the gateway with the sample terminal's token: FBR sees a POSID that is not the token's. */
const MISMATCHED_POS_ID = 110099;
const MASTER_KEY = randomBytes(32).toString("hex");

interface GatewayWorld {
  gateway: RunningGateway;
  port: number;
}

async function startTestGateway(dataDir: string, fbrUrl: string, port = 0): Promise<GatewayWorld> {
  const config = loadConfig({
    flags: {
      port,
      dataDir,
      fbrUrl,
      masterKey: MASTER_KEY,
      pollIntervalMs: 20,
      maxRetryDelayMs: 100,
      fbrTimeoutMs: 2_000,
      drainTimeoutMs: 1_000,
      logLevel: "silent",
    },
    env: {},
  });
  const gateway = await startGateway(config, { logger: pino({ level: "silent" }) });
  return { gateway, port: Number(new URL(gateway.url).port) };
}

describe("pos-bridge with a Raseed gateway upstream", () => {
  let simulator: RunningSimulator;
  let world: GatewayWorld;
  const gatewayDir = tempDir("raseed-bridge-gw-");
  let apiKey: string;
  let otherTenantKey: string;

  beforeAll(async () => {
    simulator = await startSim();
    world = await startTestGateway(gatewayDir.path, simulator.url);
    const db = world.gateway.store.db;
    const masterKey = Buffer.from(MASTER_KEY, "hex");
    const tenant = await addTenant(db, masterKey, {
      ntn: "7000007",
      name: "Demo Traders",
      province: "Sindh",
      address: "Karachi",
      environment: "sandbox",
      fbrToken: "sandbox-demo-token",
    });
    for (const posId of [SAMPLE_POS_ID, MISMATCHED_POS_ID]) {
      await addImsTerminal(db, masterKey, tenant.id, {
        posId,
        imsToken: SAMPLE_TOKEN,
        environment: "sandbox",
      });
    }
    apiKey = (await createApiKey(db, tenant.id, { scopes: ["invoices:write", "invoices:read"] })).key;
    const other = await addTenant(db, masterKey, {
      ntn: "7100001",
      name: "Other Traders",
      province: "Punjab",
      address: "Lahore",
      environment: "sandbox",
      fbrToken: "other-token",
    });
    otherTenantKey = (await createApiKey(db, other.id)).key;
  });

  afterAll(async () => {
    await world?.gateway.close();
    await simulator?.close();
    gatewayDir.remove();
  });

  function gatewayUpstream(key = apiKey): GatewayImsUpstream {
    return new GatewayImsUpstream({
      gatewayUrl: world.gateway.url,
      apiKey: key,
      waitSeconds: 2,
      timeoutMs: 3_000,
    });
  }

  it("a sale rung up at the bridge gets the simulator's fiscal number through the gateway", async () => {
    const dir = tempDir();
    const config = bridgeConfig(dir.path, simulator.url, { upstream: world.gateway.url });
    const bridge = await startPosBridge(config, {
      createUpstream: () => gatewayUpstream(),
      logger: collectingLogger(),
    });
    try {
      const usin = `GW-${randomBytes(4).toString("hex")}`;
      const reply = await postSale(bridge.url, kbSale(usin));
      expect(reply.body.Code).toBe("100");
      const onSimulator = (await simImsInvoices(simulator.url)).filter((i) => i.USIN === usin);
      expect(onSimulator).toHaveLength(1);
      expect(reply.body.InvoiceNumber).toBe(onSimulator[0]?.invoiceNumber);
      // The gateway has the same sale, found by POSID and USIN.
      const atGateway = await fetch(
        `${world.gateway.url}/v1/ims/invoices?posId=${SAMPLE_POS_ID}&usin=${usin}`,
        {
          headers: { authorization: `Bearer ${apiKey}` },
        },
      );
      const found = ((await atGateway.json()) as { items: { fbrInvoiceNumber: string }[] }).items;
      expect(found.map((sale) => sale.fbrInvoiceNumber)).toEqual([reply.body.InvoiceNumber]);
    } finally {
      await bridge.close();
      dir.remove();
    }
  });

  it("the same USIN from two bridges (or a retry after a lost answer) is posted to FBR once", async () => {
    const dirs = [tempDir(), tempDir()];
    const bridges = await Promise.all(
      dirs.map((dir) =>
        startPosBridge(bridgeConfig(dir.path, simulator.url, { upstream: world.gateway.url }), {
          createUpstream: () => gatewayUpstream(),
          logger: collectingLogger(),
        }),
      ),
    );
    try {
      const usin = `TWICE-${randomBytes(4).toString("hex")}`;
      const first = await postSale(bridges[0]?.url ?? "", kbSale(usin));
      const second = await postSale(bridges[1]?.url ?? "", kbSale(usin));
      // A third, direct re-send of exactly what the bridge sent: what the uploader does after a lost answer.
      const stored = await fetch(`${world.gateway.url}/v1/ims/invoices?posId=${SAMPLE_POS_ID}&usin=${usin}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      // The list finds the sale by POSID and USIN; the sale's own page carries the payload as sent.
      const [{ id }] = ((await stored.json()) as { items: [{ id: string }] }).items;
      const one = await fetch(`${world.gateway.url}/v1/ims/invoices/${id}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const { invoice } = (await one.json()) as { invoice: never };
      const direct = await gatewayUpstream().postData(invoice);
      expect(first.body.Code).toBe("100");
      expect(second.body.InvoiceNumber).toBe(first.body.InvoiceNumber);
      expect(direct).toMatchObject({ kind: "accepted", invoiceNumber: first.body.InvoiceNumber });
      const posted = (await simImsInvoices(simulator.url)).filter((i) => i.USIN === usin);
      expect(posted).toHaveLength(1);
      expect(posted[0]?.postCount).toBe(1);
    } finally {
      await Promise.all(bridges.map((bridge) => bridge.close()));
      for (const dir of dirs) dir.remove();
    }
  });

  it("FBR's Code 102 comes back to the till with FBR's own errors", async () => {
    const dir = tempDir();
    const bridge = await startGatewayBridgeWithUpstream(dir.path);
    try {
      const usin = `REJ-${randomBytes(4).toString("hex")}`;
      const reply = await postSale(bridge.url, kbSale(usin, { POSID: MISMATCHED_POS_ID }));
      expect(reply.body.Code).toBe("102");
      expect(reply.body.InvoiceNumber).toBe("Not Available");
      const errors = reply.body.Errors as { Field: string; Message: string }[];
      expect(errors.map((e) => e.Field)).toContain("POSID");
      expect(errors[0]?.Message).toMatch(/POSID/);
    } finally {
      await bridge.close();
      dir.remove();
    }
  });

  it("gateway down: the till gets the provisional reply, and the sale is uploaded once the gateway is back", async () => {
    const dir = tempDir();
    const bridge = await startGatewayBridgeWithUpstream(dir.path, { tillTimeoutMs: 1000 });
    try {
      await world.gateway.close();
      const usin = `DOWN-${randomBytes(4).toString("hex")}`;
      const reply = await postSale(bridge.url, kbSale(usin));
      expect(reply.body.Code).toBe("150");
      expect((await simImsInvoices(simulator.url)).some((i) => i.USIN === usin)).toBe(false);

      world = await startTestGateway(gatewayDir.path, simulator.url, world.port);
      let number = "";
      await waitUntil(
        bridge.bridge.events,
        "attempt",
        async () => {
          const found = await getJson(`${bridge.url}/api/IMSFiscal/GetInvoiceNumberByUSIN?usin=${usin}`);
          const body = found.body as { Code?: string; InvoiceNumber?: string };
          if (body.Code === "100" && typeof body.InvoiceNumber === "string") number = body.InvoiceNumber;
          return number !== "";
        },
        "the provisional sale to be uploaded through the gateway",
      );
      const posted = (await simImsInvoices(simulator.url)).filter((i) => i.USIN === usin);
      expect(posted).toHaveLength(1);
      expect(posted[0]?.postCount).toBe(1);
      expect(number).toBe(posted[0]?.invoiceNumber);
    } finally {
      await bridge.close();
      dir.remove();
    }
  });

  it("maps the gateway's refusals: a wrong API key is unauthorised, another tenant's POSID is rejected", async () => {
    const sale = kbSale(`KEY-${randomBytes(4).toString("hex")}`) as never;
    const wrongKey = await gatewayUpstream("rsd_not-a-key").postData(sale);
    expect(wrongKey.kind).toBe("unauthorised");
    expect(JSON.stringify(wrongKey)).not.toContain(apiKey);
    const foreign = await gatewayUpstream(otherTenantKey).postData(sale);
    expect(foreign.kind).toBe("rejected");
    if (foreign.kind === "rejected") expect(foreign.errors[0]?.code).toBe("RGW-IMS-POS");
    // Nothing reached FBR for either.
    const posted = (await simImsInvoices(simulator.url)).filter(
      (i) => i.USIN === (sale as { USIN: string }).USIN,
    );
    expect(posted).toHaveLength(0);
  });

  it("an unreachable gateway is not_sent (safe to resend: the gateway is idempotent on USIN)", async () => {
    const closed = new GatewayImsUpstream({
      gatewayUrl: "http://127.0.0.1:9",
      apiKey: "k",
      timeoutMs: 1_000,
    });
    expect((await closed.postData(kbSale("X") as never)).kind).toBe("not_sent");
    expect(() => new GatewayImsUpstream({ gatewayUrl: "ftp://x", apiKey: "k" })).toThrow(/http/);
    expect(() => new GatewayImsUpstream({ gatewayUrl: "http://127.0.0.1:1", apiKey: " " })).toThrow(
      /API key/,
    );
  });

  async function startGatewayBridgeWithUpstream(dir: string, overrides: Record<string, unknown> = {}) {
    const config = bridgeConfig(dir, simulator.url, {
      upstream: world.gateway.url,
      tills: [
        { posId: SAMPLE_POS_ID, token: "held-by-the-gateway" },
        { posId: MISMATCHED_POS_ID, token: "held-by-the-gateway" },
      ],
      ...overrides,
    });
    // The upstream reads the gateway URL at call time so a restarted gateway (same port) is reached.
    return startPosBridge(config, { createUpstream: () => gatewayUpstream(), logger: collectingLogger() });
  }
  describe("configured as --upstream <gateway URL>", () => {
    it("--upstream <URL> needs an API key (flag, env or file) and then no till token", () => {
      expect(() => loadBridgeConfig({ upstream: "http://127.0.0.1:8080", posId: "110014" }, {})).toThrow(
        /API key/,
      );
      const fromEnv = loadBridgeConfig(
        { upstream: "http://127.0.0.1:8080", posId: "110014" },
        { RASEED_POS_BRIDGE_GATEWAY_API_KEY: "rsd_from_env" },
      );
      expect(fromEnv).toMatchObject({ upstream: "http://127.0.0.1:8080", gatewayApiKey: "rsd_from_env" });
      expect(fromEnv.tills).toEqual([{ posId: 110014, token: "" }]);
      const fromFlag = loadBridgeConfig(
        { upstream: "http://127.0.0.1:8080", posId: "110014", apiKey: "rsd_flag" },
        { RASEED_POS_BRIDGE_GATEWAY_API_KEY: "rsd_from_env" },
      );
      expect(fromFlag.gatewayApiKey).toBe("rsd_flag");
      // FBR upstream still needs the till's own token.
      expect(() => loadBridgeConfig({ posId: "110014" }, {})).toThrow(/--token/);
      const upstream = createGatewayUpstream({ ...fromFlag, uploadTimeoutMs: 12_000 });
      expect(upstream.postUrl).toBe("http://127.0.0.1:8080/v1/ims/invoices?wait=10");
    });

    it("a bridge started with --upstream <gateway> and --api-key uploads through the gateway; the key is never logged", async () => {
      const dir = tempDir();
      const logger = collectingLogger();
      const config = Object.freeze({
        ...loadBridgeConfig(
          { upstream: world.gateway.url, posId: String(SAMPLE_POS_ID), apiKey, dataDir: dir.path, port: "0" },
          {},
        ),
        tillTimeoutMs: 3000,
        uploadTimeoutMs: 4000,
        journalSync: "normal" as const,
      });
      const bridge = await startPosBridge(config, { logger });
      try {
        const usin = `CFG-${randomBytes(4).toString("hex")}`;
        const reply = await postSale(bridge.url, kbSale(usin));
        expect(reply.body.Code).toBe("100");
        const posted = (await simImsInvoices(simulator.url)).filter((i) => i.USIN === usin);
        expect(reply.body.InvoiceNumber).toBe(posted[0]?.invoiceNumber);
        expect(JSON.stringify(logger.lines)).not.toContain(apiKey);
        expect(JSON.stringify(logger.lines)).toContain(world.gateway.url);
      } finally {
        await bridge.close();
        dir.remove();
      }
    });
  });
});
