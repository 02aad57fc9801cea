// A gateway data folder prepared by the bench driver before the gateway process starts: a tenant, an API
// key, a dashboard user and, with `prefill`, invoices stored directly (queued with their outbox rows, as
// a backlog leaves them, or accepted with FBR numbers, as a long history does). Done here, not in the
// gateway process, so the gateway's own memory figures never include the filling.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addTenant, addUser, createApiKey, openStore, type Store } from "@raseed/gateway";
import { freePort } from "../../packages/gateway/test/pg-cluster.ts";
import { fiveLineInvoice, SELLER } from "./invoices.ts";
import { type BenchServer, benchServer, repoRoot, startServer } from "./proc.ts";

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
  args: { fbrUrl: string; concurrency?: number; prefetch?: number },
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
      prefetch: args.prefetch ?? 0,
    },
    nodeArgs,
  );
}

let built = false;

/** `npm run build` once per bench run (incremental: seconds when nothing changed), so the build is current. */
function ensureBuild(): void {
  if (built) return;
  const result = spawnSync(process.execPath, [join(repoRoot, "scripts", "build.mjs")], {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (result.status !== 0) throw new Error("bench: npm run build failed");
  built = true;
}

/**
 * The gateway exactly as an installed `raseed serve` runs: packages/cli/bin/raseed.js on the build
 * (RASEED_USE_BUILD=1, no tsx), configured by its flags and RASEED_* variables, ready when /healthz answers.
 * The memory figures measure this process: in a development checkout `raseed serve` runs the TypeScript
 * sources through tsx, whose loader thread (a second V8 heap) and transformed sources add ~45 MB that an
 * installed gateway does not carry (docs/performance.md). The data folder is removed when it stops.
 */
export async function startInstalledGateway(
  prepared: PreparedStore,
  args: { fbrUrl: string; concurrency?: number },
): Promise<BenchServer<{ url: string }>> {
  ensureBuild();
  const port = await freePort();
  const concurrency = String(args.concurrency ?? 8);
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, "packages", "cli", "bin", "raseed.js"),
      "serve",
      `--port=${port}`,
      "--host=127.0.0.1",
      `--data-dir=${prepared.dataDir}`,
      `--db=${prepared.db}`,
      `--fbr-url=${args.fbrUrl}`,
    ],
    {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        RASEED_USE_BUILD: "1",
        RASEED_MASTER_KEY: prepared.masterKey,
        RASEED_LOG_LEVEL: "silent",
        RASEED_RATE_LIMIT_PER_MINUTE: "1000000",
        RASEED_WORKER_CONCURRENCY: concurrency,
        RASEED_TENANT_CONCURRENCY: concurrency,
      },
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const server = benchServer(child, { url: `http://127.0.0.1:${port}` }, () =>
    rmSync(prepared.dataDir, { recursive: true, force: true }),
  );
  for (let tries = 0; tries < 1_200; tries++) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`bench: raseed serve exited (${child.exitCode ?? child.signalCode}):\n${stderr}`);
    const healthy = await fetch(`${server.info.url}/healthz`).then(
      async (response) => {
        await response.arrayBuffer();
        return response.ok;
      },
      () => false,
    );
    if (healthy) return server;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await server.stop();
  throw new Error(`bench: raseed serve did not answer /healthz within 2 minutes:\n${stderr}`);
}
