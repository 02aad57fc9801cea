// A gateway data folder prepared by the bench driver before the gateway process starts: a tenant, an API
// key, a dashboard user and, with `prefill`, invoices stored directly (queued with their outbox rows, as
// a backlog leaves them, or accepted with FBR numbers, as a long history does). Done here, not in the
// gateway process, so the gateway's own memory figures never include the filling.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addTenant, addUser, createApiKey, openStore, type Store } from "@raseed/gateway";
import { fiveLineInvoice, SELLER } from "./invoices.ts";
import { type BenchServer, startServer } from "./proc.ts";

export interface PreparedStore {
  dataDir: string;
  db: string;
  masterKey: string;
  key: string;
  tenantId: string;
  user: { email: string; password: string };
}

export interface PrepareOptions {
  /** A postgres:// URL; a SQLite file in a new folder otherwise. */
  db?: string;
  prefill?: number;
  state?: "queued" | "accepted";
  /** Called every 100,000 rows. */
  progress?: (done: number) => void;
}

export function storedId(n: number, at: number): string {
  return `inv_${at.toString(36).padStart(9, "0")}${n.toString(16).padStart(16, "0")}`;
}

async function prefill(store: Store, tenantId: string, options: Required<PrepareOptions>): Promise<void> {
  const { prefill: count, state } = options;
  // Queued invoices are the 5-line invoices ingest sends; the accepted history is one line each, which keeps
  // a million rows under a gigabyte.
  const invoice = fiveLineInvoice("stored");
  if (state === "accepted") (invoice as { items: unknown[] }).items.splice(1);
  const payload = JSON.stringify(invoice);
  const batch = store.engine === "sqlite" ? 1_000 : 500;
  const start = Date.now() - count; // one millisecond apart, oldest first, all in the past
  for (let offset = 0; offset < count; offset += batch) {
    const rows = Array.from({ length: Math.min(batch, count - offset) }, (_, i) => {
      const n = offset + i;
      const at = new Date(start + n);
      return {
        id: storedId(n, at.getTime()),
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
    const done = offset + rows.length;
    if (done % 100_000 === 0) options.progress(done);
  }
}

export async function prepareStore(options: PrepareOptions = {}): Promise<PreparedStore> {
  const dataDir = mkdtempSync(join(tmpdir(), "raseed-bench-gateway-"));
  const db = options.db ?? join(dataDir, "raseed.db");
  const masterKey = randomBytes(32).toString("hex");
  const store = await openStore({ dataDir, db });
  try {
    const tenant = await addTenant(store.db, Buffer.from(masterKey, "hex"), {
      ...SELLER,
      name: SELLER.businessName,
      environment: "sandbox",
      fbrToken: "sandbox-demo-token",
    });
    const { key } = await createApiKey(store.db, tenant.id);
    const user = { email: "bench@demo.raseed.pk", password: `bench-${randomBytes(12).toString("hex")}` };
    await addUser(store.db, { tenant: tenant.id, email: user.email, role: "admin", password: user.password });
    await prefill(store, tenant.id, {
      db,
      prefill: options.prefill ?? 0,
      state: options.state ?? "queued",
      progress: options.progress ?? (() => {}),
    });
    return { dataDir, db, masterKey, key, tenantId: tenant.id, user };
  } finally {
    await store.close();
  }
}

/** Starts the gateway process (servers/gateway.ts) on a prepared store. */
export function startGatewayServer(
  prepared: PreparedStore,
  args: { fbrUrl: string; concurrency?: number },
  nodeArgs: string[] = [],
): Promise<BenchServer<{ url: string }>> {
  return startServer<{ url: string }>(
    "gateway",
    {
      "data-dir": prepared.dataDir,
      db: prepared.db,
      "master-key": prepared.masterKey,
      "fbr-url": args.fbrUrl,
      concurrency: args.concurrency ?? 8,
    },
    nodeArgs,
  );
}
