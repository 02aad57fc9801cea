// The master key and the data folder: a missing or wrong key refuses to start instead of creating a new
// key over sealed tokens; a token the key cannot open never pauses a tenant; admin commands never create
// a store by accident, and a new store is the owner's only.
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { openAdminContext } from "../src/admin.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { startGateway } from "../src/main.ts";
import { openStore } from "../src/store/database.ts";
import { encryptSecret, MasterKeyError } from "../src/tenants/secret-box.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { SELLER_A, sampleInvoice, startTestGateway } from "./harness.ts";
import { engines, postgresUrl, tempDir } from "./helpers.ts";

async function storeWithTenant(dataDir: string, keyHex: string, db?: string): Promise<void> {
  const store = await openStore({ dataDir, ...(db !== undefined ? { db } : {}) });
  await addTenant(store.db, Buffer.from(keyHex, "hex"), {
    ...SELLER_A,
    environment: "sandbox",
    fbrToken: SELLER_A.token,
  });
  await store.close();
}

function configFor(dataDir: string, masterKey?: string, db?: string) {
  return loadConfig({
    flags: {
      port: 0,
      dataDir,
      logLevel: "silent",
      ...(masterKey !== undefined ? { masterKey } : {}),
      ...(db !== undefined ? { db } : {}),
    },
    env: {},
  });
}

describe.each(engines)("master key at start-up on %s", (engine) => {
  it("refuses to start when the key cannot decrypt stored tokens, or is missing, and creates no new key", async () => {
    const dir = tempDir();
    const db =
      engine === "postgres" ? `${postgresUrl()}?schema=mk_${randomBytes(6).toString("hex")}` : undefined;
    try {
      await storeWithTenant(dir.path, randomBytes(32).toString("hex"), db);
      const logger = pino({ level: "silent" });
      await expect(
        startGateway(configFor(dir.path, randomBytes(32).toString("hex"), db), { logger }),
      ).rejects.toThrow(/RASEED_MASTER_KEY cannot decrypt the FBR tokens stored/);
      const missing = startGateway(configFor(dir.path, undefined, db), { logger });
      await expect(missing).rejects.toBeInstanceOf(MasterKeyError);
      await expect(missing).rejects.toThrow(/master\.key is missing/);
      expect(existsSync(join(dir.path, "master.key"))).toBe(false);
    } finally {
      dir.remove();
    }
  });

  it("the admin commands refuse the same way", async () => {
    const dir = tempDir();
    try {
      await storeWithTenant(dir.path, randomBytes(32).toString("hex"));
      await expect(openAdminContext({ dataDir: dir.path }, {})).rejects.toThrow(/master\.key is missing/);
      expect(existsSync(join(dir.path, "master.key"))).toBe(false);
    } finally {
      dir.remove();
    }
  });
});

describe.each(engines)("a stored token the master key cannot open on %s", (engine) => {
  it("leaves the invoice retrying and the tenant active (not paused as if FBR refused the token)", async () => {
    const t = await startTestGateway(engine, { maxAttempts: 1000 });
    try {
      // The row's token sealed under some other key: what a restored database with the wrong key looks like.
      await t.gateway.store.db
        .updateTable("tenants")
        .set({ fbr_token_enc: encryptSecret(randomBytes(32), SELLER_A.token, t.tenantA) })
        .where("id", "=", t.tenantA)
        .execute();
      const created = await t.call("POST", "/v1/invoices", { body: sampleInvoice(SELLER_A) });
      expect(created.status).toBe(202);
      const invoice = await t.waitFor(t.keyA, created.body.id, ["retrying", "paused"]);
      expect(invoice.state).toBe("retrying");
      const tenant = await t.gateway.store.db
        .selectFrom("tenants")
        .select("paused_at")
        .where("id", "=", t.tenantA)
        .executeTakeFirstOrThrow();
      expect(tenant.paused_at).toBeNull();
    } finally {
      await t.close();
    }
  });
});

describe("admin commands and the data folder", () => {
  it("refuse a store that does not exist, without creating it", async () => {
    const dir = tempDir();
    try {
      const missing = join(dir.path, "nonexist");
      const attempt = openAdminContext({ dataDir: missing }, {});
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toThrow(/no Raseed store at .*nonexist/);
      expect(existsSync(missing)).toBe(false);
    } finally {
      dir.remove();
    }
  });

  it("create a new store (tenant add) with an owner-only folder and database", async () => {
    const dir = tempDir();
    try {
      const fresh = join(dir.path, "fresh");
      const ctx = await openAdminContext({ dataDir: fresh }, {}, { createStore: true });
      await ctx.close();
      expect(statSync(fresh).mode & 0o777).toBe(0o700);
      expect(statSync(join(fresh, "raseed.db")).mode & 0o777).toBe(0o600);
      expect(statSync(join(fresh, "master.key")).mode & 0o777).toBe(0o600);
    } finally {
      dir.remove();
    }
  });
});
