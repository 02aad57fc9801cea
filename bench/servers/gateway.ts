// The gateway under test, started the way `raseed serve` starts it (startGateway: API, worker, sealer,
// webhooks), as its own process. Before it starts, a tenant and an API key are created and, with
// --prefill=N, N invoices are stored directly (queued with their outbox rows, or accepted with FBR numbers
// for the query bench), as a backlog or a long history would leave them.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addTenant, createApiKey, loadConfig, openStore, type Store, startGateway } from "@raseed/gateway";
import { fiveLineInvoice, SELLER } from "../harness/invoices.ts";
import { ready, serverArgs } from "../harness/proc.ts";

const args = serverArgs();
const dataDir = mkdtempSync(join(tmpdir(), "raseed-bench-gateway-"));
const db = args.db ?? join(dataDir, "raseed.db");
const masterKey = randomBytes(32).toString("hex");

async function prefill(
  store: Store,
  tenantId: string,
  count: number,
  state: "queued" | "accepted",
): Promise<void> {
  const payload = JSON.stringify(fiveLineInvoice("stored"));
  const batch = store.engine === "sqlite" ? 1_000 : 500;
  const start = Date.now() - count; // one id per millisecond back in time, oldest first
  for (let offset = 0; offset < count; offset += batch) {
    const rows = Array.from({ length: Math.min(batch, count - offset) }, (_, i) => {
      const n = offset + i;
      const at = new Date(start + n);
      const id = `inv_${at.getTime().toString(36).padStart(9, "0")}${n.toString(16).padStart(16, "0")}`;
      return {
        id,
        tenant_id: tenantId,
        channel: "di" as const,
        pos_id: null,
        usin: null,
        external_ref: `ERP-${n}`,
        buyer_ntn_cnic: String(1_000_000 + (n % 500_000)),
        buyer_name: `Buyer ${n % 500_000}`,
        request_hash: "bench",
        payload,
        state,
        fbr_invoice_number: state === "accepted" ? `${SELLER.ntn}DI${String(n).padStart(13, "0")}` : null,
        fbr_number_source: state === "accepted" ? ("fbr" as const) : null,
        fbr_dated: null,
        item_numbers: null,
        errors: null,
        last_reason: null,
        attempt_count: 0,
        created_at: at.toISOString(),
        updated_at: at.toISOString(),
      };
    });
    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto("invoices").values(rows).execute();
      if (state === "queued") {
        await trx
          .insertInto("outbox")
          .values(
            rows.map((row) => ({
              invoice_id: row.id,
              tenant_id: tenantId,
              due_at: row.created_at,
              lease_owner: null,
              lease_until: null,
              created_at: row.created_at,
            })),
          )
          .execute();
      }
    });
  }
}

const setup = await openStore({ dataDir, db });
const tenant = await addTenant(setup.db, Buffer.from(masterKey, "hex"), {
  ...SELLER,
  name: SELLER.businessName,
  environment: "sandbox",
  fbrToken: "sandbox-demo-token",
});
const { key } = await createApiKey(setup.db, tenant.id);
const count = Number(args.prefill ?? 0);
if (count > 0)
  await prefill(setup, tenant.id, count, args["prefill-state"] === "accepted" ? "accepted" : "queued");
await setup.close();

const concurrency = Number(args.concurrency ?? 8);
const config = loadConfig({
  flags: {
    port: 0,
    dataDir,
    db,
    fbrUrl: args["fbr-url"] ?? "http://127.0.0.1:9",
    masterKey,
    logLevel: "silent",
    rateLimitPerMinute: 1_000_000,
    workerConcurrency: concurrency,
    tenantConcurrency: concurrency,
  },
  env: {},
});
const gateway = await startGateway(config);
ready({ url: gateway.url, key, tenantId: tenant.id, db }, async () => {
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
});
