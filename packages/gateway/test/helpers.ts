// Shared test plumbing: the same store tests run on SQLite (temp dir) and on the throwaway PostgreSQL
// cluster from global-setup.ts, each test file in its own schema.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { inject } from "vitest";
import { openStore, type Store } from "../src/store/database.ts";

export type EngineName = "sqlite" | "postgres";
export const engines: EngineName[] = ["sqlite", "postgres"];

export function tempDir(prefix = "raseed-gw-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function postgresUrl(): string {
  const url = inject("raseedPostgresUrl");
  if (url === "") {
    throw new Error(
      "no PostgreSQL for this run: run the gateway tests through vitest so global-setup.ts starts one",
    );
  }
  return url;
}

/** A fresh, empty store on the given engine (its own temp file or its own PostgreSQL schema). */
export async function openTestStore(
  engine: EngineName,
): Promise<{ store: Store; dataDir: string; db: string; cleanup(): Promise<void> }> {
  const dir = tempDir();
  if (engine === "sqlite") {
    const db = join(dir.path, "raseed.db");
    const store = await openStore({ db, dataDir: dir.path });
    return {
      store,
      dataDir: dir.path,
      db,
      cleanup: async () => {
        await store.close();
        dir.remove();
      },
    };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const url = postgresUrl();
  const store = await openStore({ db: url, dataDir: dir.path, pgSchema: schema, poolSize: 5 });
  return {
    store,
    dataDir: dir.path,
    db: url,
    cleanup: async () => {
      await store.close();
      dir.remove();
    },
  };
}

export const TEST_MASTER_KEY = Buffer.alloc(32, 7);

/** Tampering tests play an intruder with full database rights: first drop the append-only triggers. */
export async function dropAuditGuards(store: Store): Promise<void> {
  if (store.engine === "postgres") {
    await sql`DROP TRIGGER IF EXISTS audit_append_only ON audit`.execute(store.db);
  } else {
    await sql`DROP TRIGGER IF EXISTS audit_no_update`.execute(store.db);
    await sql`DROP TRIGGER IF EXISTS audit_no_delete`.execute(store.db);
  }
}

/** The same for the retention triggers (migration 0012) that refuse to delete invoices and attempts. */
export async function dropRetentionGuards(store: Store): Promise<void> {
  for (const table of ["invoices", "attempts"]) {
    const trigger = sql.raw(`${table}_retention`);
    if (store.engine === "postgres")
      await sql`DROP TRIGGER IF EXISTS ${trigger} ON ${sql.table(table)}`.execute(store.db);
    else await sql`DROP TRIGGER IF EXISTS ${trigger}`.execute(store.db);
  }
}
