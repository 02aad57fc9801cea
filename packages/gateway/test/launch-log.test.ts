// The launch log (outbox/launch-log.ts): what it proves and when, then a real gateway process killed with a
// post on the wire and two attempts recorded ahead of it (workerPrefetch): on restart the post on the wire
// is in doubt, the two never posted go back to the queue and are posted once each.
import { join } from "node:path";
import { startSimulator } from "@raseed/simulator";
import { describe, expect, it, vi } from "vitest";
import { LaunchLog, readNeverLaunched } from "../src/outbox/launch-log.ts";
import { type Loose, SELLER_A, sampleInvoice, simInvoices, startTestGateway } from "./harness.ts";
import { tempDir } from "./helpers.ts";
import { freePort, prepareSellerStore, startGatewayProcess } from "./processes.ts";

describe("launch log", () => {
  it("proves an attempt never posted only when it was recorded, not launched, on the same boot", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "raseed.db-launches");
      const log = LaunchLog.create(path, "boot-1");
      log.recorded(["att_a", "att_b", "att_c"]);
      log.launched("att_a");
      log.close();
      expect([...(readNeverLaunched(path, "boot-1") ?? [])].sort()).toEqual(["att_b", "att_c"]);
      // Another boot (power lost: unsynced lines may be gone), no boot id, no log: nothing is proven.
      expect(readNeverLaunched(path, "boot-2")).toBeUndefined();
      expect(readNeverLaunched(path, undefined)).toBeUndefined();
      expect(readNeverLaunched(join(dir.path, "missing"), "boot-1")).toBeUndefined();
      // A new process's log starts empty: the last one's lines prove nothing about its attempts.
      LaunchLog.create(path, "boot-1").close();
      expect(readNeverLaunched(path, "boot-1")?.size).toBe(0);
    } finally {
      dir.remove();
    }
  });

  it("keeps a line cut short from swallowing the next, and a restart only drops proofs", () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "raseed.db-launches");
      const log = LaunchLog.create(path, "boot-1");
      log.recorded(["att_a", "att_b"]);
      log.restart();
      log.recorded(["att_c"]);
      log.close();
      // After the restart only att_c is known: att_a and att_b, if open, are in doubt.
      expect([...(readNeverLaunched(path, "boot-1") ?? [])]).toEqual(["att_c"]);
    } finally {
      dir.remove();
    }
  });

  it("an attempt whose launch cannot be logged is not posted, ends not_sent, and tells the breaker nothing", async () => {
    // One failure would open the breaker if it counted.
    const t = await startTestGateway("sqlite", { breakerThreshold: 1 });
    const breaker: string[] = [];
    t.gateway.events.on("breaker.changed", ({ state }) => breaker.push(state));
    const launched = vi.spyOn(LaunchLog.prototype, "launched").mockImplementationOnce(() => {
      throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    });
    try {
      const { body } = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
      await t.waitFor(t.keyA, body.id, ["accepted"]);
      const attempts = (await t.call("GET", `/v1/invoices/${body.id}/attempts`)).body.items;
      expect(attempts.map((a: Loose) => a.outcome)).toEqual(["not_sent", "accepted"]);
      expect(attempts[0].reason).toMatch(/launch log could not be written/);
      expect(breaker).toEqual([]);
      const reported = (await simInvoices(t.simulator)).filter((r) => r.channel === "di");
      expect(reported.map((r) => r.postCount)).toEqual([1]);
    } finally {
      launched.mockRestore();
      await t.close();
    }
  });

  it("a kill leaves the post on the wire in doubt and sends the attempts recorded ahead once each", {
    timeout: 240_000,
  }, async () => {
    // FBR holds every post for 10 s: the first is still on the wire when the process is killed.
    const simulator = await startSimulator({ port: 0, faults: { latencyMs: 10_000 } });
    const dir = tempDir();
    const db = join(dir.path, "raseed.db");
    const { store, key, env } = await prepareSellerStore({
      db,
      dataDir: dir.path,
      fbrUrl: simulator.url,
      env: {
        RASEED_WORKER_CONCURRENCY: "1",
        RASEED_TENANT_CONCURRENCY: "1",
        RASEED_WORKER_PREFETCH: "2",
      },
    });
    await store.close();
    const port = await freePort();
    let gateway = await startGatewayProcess(env, port);
    const call = async (method: string, path: string, body?: unknown): Promise<Loose> => {
      const response = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: await response.json() };
    };
    /** Polls (bounded by count) until every invoice is in one of `states`. */
    const until = async (ids: string[], states: string[]) => {
      let last: string[] = [];
      for (let round = 0; round < 2_000; round += 1) {
        last = await Promise.all(ids.map(async (id) => (await call("GET", `/v1/invoices/${id}`)).body.state));
        if (last.every((state) => states.includes(state))) return last;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`invoices still ${last.join(", ")}`);
    };
    try {
      const ids: string[] = [];
      for (const tag of ["on the wire", "ahead 1", "ahead 2"]) {
        const response = await call("POST", "/v1/invoices", sampleInvoice(SELLER_A, `launch log ${tag}`));
        expect(response.status).toBe(202);
        ids.push(response.body.id);
      }
      const [onWire, ...ahead] = ids as [string, string, string];
      await until(ids, ["submitting"]);
      gateway.child.kill("SIGKILL");
      await gateway.exited;

      simulator.setFaults({});
      gateway = await startGatewayProcess(env, port);
      expect(await until([onWire], ["in_doubt"])).toEqual(["in_doubt"]);
      expect(await until(ahead, ["accepted"])).toEqual(["accepted", "accepted"]);

      const reported = await simInvoices(simulator);
      for (const id of ahead) {
        const invoice = (await call("GET", `/v1/invoices/${id}`)).body;
        const posts = reported.filter((r) => r.invoiceNumber === invoice.fbrInvoiceNumber);
        expect(posts.map((r) => r.postCount)).toEqual([1]);
        const attempts = (await call("GET", `/v1/invoices/${id}/attempts`)).body.items;
        expect(attempts.map((a: Loose) => a.outcome)).toEqual(["not_sent", "accepted"]);
        expect(attempts[0].reason).toMatch(/launch log proves nothing was sent/);
      }
      const held = (await call("GET", `/v1/invoices/${onWire}/attempts`)).body.items;
      expect(held.map((a: Loose) => a.outcome)).toEqual(["in_doubt"]);
    } finally {
      gateway.child.kill("SIGTERM");
      await gateway.exited;
      await simulator.close();
      dir.remove();
    }
  });
});
