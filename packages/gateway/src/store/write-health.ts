// What the store says when it cannot write (a full disk, a read-only or vanished file, PostgreSQL out of
// space or unreachable), tracked in one place. Before this, a full disk made every write log SQLite's
// "cannot rollback - no transaction is active" instead of the real error, the API answered 500 and /readyz
// stayed 200 (issue 13). Now the first failure is reported once with the store's own message, requests
// answer 503 with a code saying why, /readyz answers 503 until a write succeeds again, and the recovery is
// reported once too.
import { randomBytes } from "node:crypto";
import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from "kysely";
import type { Database } from "./schema.ts";
import type { ConnectionHold } from "./sqlite-direct.ts";
import type { WalSync } from "./wal-sync.ts";

/** What the observed dialect knows of a SQLite connection. */
export interface SqliteConnectionState {
  /** True when the connection is not in a transaction (better-sqlite3's `inTransaction` is false). */
  outsideTransaction(): boolean;
  /** Syncs the WAL for commits made with `synchronous = NORMAL` (wal-sync.ts); absent for `:memory:`. */
  walSync?: WalSync | undefined;
  /** Set while Kysely's driver holds the connection (sqlite-direct.ts reads only when it does not). */
  hold?: ConnectionHold;
}

export type StoreFaultCode = "store_full" | "store_unavailable";

export interface StoreFault {
  code: StoreFaultCode;
  /** The store's own message for the first failure (SQLite's or PostgreSQL's text). */
  message: string;
  since: string;
}

export type StoreHealthChange =
  | { kind: "failing"; fault: StoreFault; error: unknown }
  | { kind: "recovered"; fault: StoreFault; failures: number };

// SQLite result codes (https://www.sqlite.org/rescode.html) and PostgreSQL SQLSTATEs
// (https://www.postgresql.org/docs/15/errcodes-appendix.html) that mean "the store cannot take writes",
// as opposed to a constraint or a bug in a query.
const SQLITE_UNAVAILABLE = /^SQLITE_(IOERR|READONLY|CANTOPEN|NOTADB)/;
const PG_UNAVAILABLE = /^(53|58|57P0|08)/; // insufficient resources, system error, shutdown, connection
const NODE_NETWORK = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)$/;
// The store's own fdatasync of SQLite's WAL (wal-sync.ts) fails with the system's error, not SQLite's: a disk
// that filled or hit its quota while the pages were written back, or one that failed or went read-only.
const NODE_DISK_FULL = /^(ENOSPC|EDQUOT)$/;
const NODE_DISK_FAILED = /^(EIO|EROFS)$/;

/** The fault an error from the store stands for, or undefined for any other error. */
export function classifyStoreFault(error: unknown): StoreFaultCode | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") {
    // pg reports a dropped connection as a plain Error.
    const message = (error as { message?: unknown }).message;
    return typeof message === "string" && /^Connection terminated/.test(message)
      ? "store_unavailable"
      : undefined;
  }
  if (code === "SQLITE_FULL" || code === "53100" || NODE_DISK_FULL.test(code)) return "store_full";
  if (
    SQLITE_UNAVAILABLE.test(code) ||
    PG_UNAVAILABLE.test(code) ||
    NODE_NETWORK.test(code) ||
    NODE_DISK_FAILED.test(code)
  ) {
    return "store_unavailable";
  }
  return undefined;
}

/**
 * The store's write health. Any failed query with a store fault marks it failing; only a write that needs
 * new space (the probe) marks it healthy again, since small in-place updates can succeed on a full disk.
 * While failing, the probe runs every `probeEveryMs` and on each /readyz.
 */
export class StoreWriteHealth {
  private fault: StoreFault | undefined;
  private failures = 0;
  private probeWrite: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(change: StoreHealthChange) => void>();

  constructor(private readonly probeEveryMs = 5_000) {}

  /** Called on each change of state only: once when writes start failing, once when they work again. */
  onChange(listener: (change: StoreHealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current fault, or undefined while writes work. */
  current(): StoreFault | undefined {
    return this.fault;
  }

  setProbe(probeWrite: () => Promise<void>): void {
    this.probeWrite = probeWrite;
  }

  /** Tries a write that needs new space; true when writes work. */
  async probe(): Promise<boolean> {
    if (this.probeWrite === undefined) return this.fault === undefined;
    try {
      await this.probeWrite();
    } catch (error) {
      this.observeFailure(error);
      return false;
    }
    this.recovered();
    return true;
  }

  /** Records a failed query; true when it was a store fault (already reported, or reported now). */
  observeFailure(error: unknown, now = new Date()): boolean {
    const code = classifyStoreFault(error);
    if (code === undefined) return false;
    this.failures += 1;
    if (this.fault === undefined || (this.fault.code !== code && code === "store_full")) {
      const message = error instanceof Error ? error.message : String(error);
      this.fault = { code, message, since: now.toISOString() };
      if (this.timer === undefined && this.probeWrite !== undefined) {
        this.timer = setInterval(() => void this.probe(), this.probeEveryMs);
        this.timer.unref();
      }
      this.emit({ kind: "failing", fault: this.fault, error });
    }
    return true;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private recovered(): void {
    if (this.fault === undefined) return;
    const fault = this.fault;
    const failures = this.failures;
    this.fault = undefined;
    this.failures = 0;
    this.stop();
    this.emit({ kind: "recovered", fault, failures });
  }

  private emit(change: StoreHealthChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/**
 * Writes and deletes a row big enough to need new pages, and commits (on a full disk the insert or the
 * commit fails).
 */
export async function probeWrite(db: Kysely<Database>): Promise<void> {
  const id = `probe_${randomBytes(8).toString("hex")}`;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("store_probe")
      .values({ id, filler: "x".repeat(8192) })
      .execute();
    await trx.deleteFrom("store_probe").where("id", "=", id).execute();
  });
}

class ObservedConnection implements DatabaseConnection {
  inTransaction = false;
  constructor(
    readonly inner: DatabaseConnection,
    private readonly health: StoreWriteHealth,
    private readonly sqlite: SqliteConnectionState | undefined,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const result = await this.inner.executeQuery<R>(query);
      // A COMMIT, or a write outside a transaction, answers only once the WAL holding it is on disk; the
      // connection stays held meanwhile, so no other query reads it before then (wal-sync.ts).
      const walSync = this.sqlite?.walSync;
      if (walSync?.owed() && this.sqlite?.outsideTransaction()) await walSync.durable();
      return result;
    } catch (error) {
      this.health.observeFailure(error);
      throw error;
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class ObservedDriver implements Driver {
  private readonly connections = new WeakMap<DatabaseConnection, ObservedConnection>();
  constructor(
    private readonly inner: Driver,
    private readonly health: StoreWriteHealth,
    private readonly sqlite: SqliteConnectionState | undefined,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    if (this.sqlite?.hold !== undefined) this.sqlite.hold.held = true;
    let observed = this.connections.get(connection);
    if (observed === undefined) {
      observed = new ObservedConnection(connection, this.health, this.sqlite);
      this.connections.set(connection, observed);
    }
    return observed;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const observed = connection as ObservedConnection;
    await this.inner.beginTransaction(observed, settings);
    observed.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const observed = connection as ObservedConnection;
    try {
      await this.inner.commitTransaction(observed);
    } catch (error) {
      this.health.observeFailure(error);
      throw error;
    } finally {
      observed.inTransaction = false;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const observed = connection as ObservedConnection;
    observed.inTransaction = false;
    // SQLite rolls a transaction back by itself on SQLITE_FULL and I/O errors; a second ROLLBACK then
    // fails with "cannot rollback - no transaction is active", and that error would replace the real one.
    if (this.sqlite?.outsideTransaction()) return;
    await this.inner.rollbackTransaction(observed);
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.inner.savepoint?.(connection, name, compileQuery);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.inner.rollbackToSavepoint?.(connection, name, compileQuery);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.inner.releaseSavepoint?.(connection, name, compileQuery);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Before the driver hands the connection to its next user, whose acquire sets it again.
    if (this.sqlite?.hold !== undefined) this.sqlite.hold.held = false;
    await this.inner.releaseConnection((connection as ObservedConnection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** Wraps a dialect so every query and commit reports to `health`. */
export class ObservedDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly health: StoreWriteHealth,
    /** SQLite only: the connection's transaction state and its WAL sync. */
    private readonly sqlite?: SqliteConnectionState,
  ) {}

  createDriver(): Driver {
    return new ObservedDriver(this.inner.createDriver(), this.health, this.sqlite);
  }

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Dialect's own signature takes Kysely<any>
  createIntrospector(db: Kysely<any>) {
    return this.inner.createIntrospector(db);
  }
}
