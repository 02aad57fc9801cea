// The one place that picks the engine: a postgres:// URL means PostgreSQL, anything else is a SQLite file.
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { Checkpointer } from "./checkpointer.ts";
import { migrateToLatest } from "./migrations.ts";
import { namedStatementClient } from "./pg-named-statements.ts";
import type { Database } from "./schema.ts";
import { changeWatches, SqliteChangeWatch } from "./sqlite-changes.ts";
import { directReads, SqliteDirectReads } from "./sqlite-direct.ts";
import { withStatementCache } from "./statement-cache.ts";
import { type FlushFile, WalSync } from "./wal-sync.ts";
import { ObservedDialect, probeWrite, StoreWriteHealth } from "./write-health.ts";

export type StoreEngine = "sqlite" | "postgres";

export interface Store {
  readonly db: Kysely<Database>;
  readonly engine: StoreEngine;
  /** Where the data lives, with any password removed, for logs. */
  readonly location: string;
  /** The PostgreSQL schema in use (undefined on SQLite). */
  readonly pgSchema?: string;
  /** Whether writes reach the store right now (a full disk, a lost database), fed by every query. */
  readonly health: StoreWriteHealth;
  /** SQLite on a file: the thread that checkpoints its WAL (checkpointer.ts), for its events. */
  readonly checkpoints?: Checkpointer;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** SQLite file path or postgres:// URL; default `<dataDir>/raseed.db`. */
  db?: string | undefined;
  dataDir: string;
  /** PostgreSQL schema to use (created if missing); tests give each file its own. */
  pgSchema?: string | undefined;
  /** Run migrations (default true). */
  migrate?: boolean;
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
  /** SQLite: replaces the WAL's flush (tests hold and count flushes with it). */
  walFlush?: FlushFile;
}

export function isPostgresUrl(value: string | undefined): boolean {
  return value !== undefined && /^postgres(ql)?:\/\//i.test(value);
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const target = options.db;
  let store: Store;
  if (isPostgresUrl(target)) {
    // `?schema=name` on the URL picks a PostgreSQL schema (several installations can share a database).
    const url = new URL(target as string);
    const schema = url.searchParams.get("schema") ?? options.pgSchema;
    url.searchParams.delete("schema");
    store = await openPostgres(url.toString(), { ...options, pgSchema: schema ?? undefined });
  } else {
    const file = target ?? join(options.dataDir, "raseed.db");
    store = openSqlite(file, options.walFlush);
  }
  if (options.migrate !== false) {
    try {
      await migrateToLatest(store.db as unknown as Kysely<unknown>, store.pgSchema);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

function openSqlite(file: string, walFlush: FlushFile | undefined): Store {
  const path = file === ":memory:" ? file : resolve(file);
  const created = path !== ":memory:" && !existsSync(path);
  // The store holds invoices and sealed tokens: a new data folder and database are the owner's only.
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const database = new SqliteDatabase(path);
  if (created) chmodSync(path, 0o600);
  // WAL lets readers (API) run beside the writer (worker); busy_timeout lets admin commands share the file.
  // Every commit is on disk before its caller hears of it, so an acknowledged invoice survives power loss,
  // not just a process crash: SQLite writes the WAL (NORMAL) and WalSync fsyncs it off the event loop
  // before the commit resolves, as FULL would but without stalling every request (wal-sync.ts).
  // Checkpoints run in a thread of their own, not inside the COMMITs on the event loop (checkpointer.ts).
  database.pragma("journal_mode = WAL");
  const checkpointer =
    path === ":memory:"
      ? undefined
      : new Checkpointer(path, (pages) => database.pragma(`wal_autocheckpoint = ${pages}`));
  const walSync =
    checkpointer === undefined ? undefined : new WalSync(path, walFlush, () => checkpointer.committed());
  database.pragma(`synchronous = ${walSync === undefined ? "FULL" : "NORMAL"}`);
  database.pragma("busy_timeout = 5000");
  // Statement journals (a multi-row statement's undo, inside the group commit's transaction) in memory: on
  // a file they spilled past 64 KiB to a new temporary file, created, written and deleted for one statement
  // (~7 writes per drained invoice, issue 11). temp_store also keeps sorts and transient indexes in memory.
  database.pragma("temp_store = MEMORY");
  database.pragma("foreign_keys = ON");
  const health = new StoreWriteHealth();
  const changes = new SqliteChangeWatch(database);
  const statements = withStatementCache(database, 500, () => walSync?.willWrite(), {
    onWrite: () => changes.wroteOwn(),
  });
  const hold = { held: false };
  const dialect = new ObservedDialect(new SqliteDialect({ database: statements }), health, {
    outsideTransaction: () => !database.inTransaction,
    walSync,
    hold,
  });
  const db = new Kysely<Database>({ dialect });
  changeWatches.set(db, changes);
  directReads.set(
    db,
    new SqliteDirectReads(
      database,
      (text) => statements.prepare(text) as SqliteDatabase.Statement,
      hold,
      health,
      () => walSync?.owed() === true,
    ),
  );
  health.setProbe(() => probeWrite(db));
  return {
    db,
    health,
    engine: "sqlite",
    location: path,
    ...(checkpointer !== undefined ? { checkpoints: checkpointer } : {}),
    close: async () => {
      health.stop();
      await checkpointer?.close();
      await db.destroy();
      walSync?.close();
    },
  };
}

async function openPostgres(url: string, options: OpenStoreOptions): Promise<Store> {
  const schema = options.pgSchema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  }
  // The PostgreSQL client is loaded only for a postgres:// store: a SQLite gateway never holds it.
  const { default: pg } = await import("pg");
  if (schema !== undefined) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    // The compiled inserts are prepared once per connection (pg-named-statements.ts).
    Client: namedStatementClient(pg.Client),
    max: options.poolSize ?? 10,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const health = new StoreWriteHealth();
  const db = new Kysely<Database>({ dialect: new ObservedDialect(new PostgresDialect({ pool }), health) });
  health.setProbe(() => probeWrite(db));
  await sql`select 1`.execute(db);
  const safe = new URL(url);
  safe.password = "";
  return {
    db,
    engine: "postgres",
    health,
    pgSchema: schema ?? "public",
    location: `${safe.toString()}${schema !== undefined ? ` (schema ${schema})` : ""}`,
    close: () => {
      health.stop();
      return db.destroy();
    },
  };
}
