// A Kysely dialect whose one SQLite connection lives in a worker thread (sqlite-worker.ts), so statements and
// COMMIT's fsync run beside the event loop instead of on it (issue 11). What the rest of the store relies on
// is kept: one connection behind a mutex (a transaction holds it to the end, so transactions serialize), errors
// arrive as better-sqlite3's SqliteError with SQLite's own code, bigints and Buffers round-trip, rows can be
// streamed a chunk at a time, and a thread that dies fails every waiting and later query with
// SqliteWorkerGoneError rather than leaving it waiting forever. Optionally (readsOnCallingThread) lone SELECTs
// read from a second, query-only connection on the calling thread instead.
//
// kysely-generic-sqlite (which also runs SQLite in a worker) was looked at first; it was left aside because it
// posts errors by structured clone (SQLite's `code` is lost), has no answer for a worker that dies (queries
// wait forever), and streams by pushing every row without waiting for the reader.
import { Worker } from "node:worker_threads";
import SqliteDatabase from "better-sqlite3";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import type { WorkerAnswer, WorkerRequest, WorkerResult } from "./sqlite-worker.js";
import { type StatementCache, withStatementCache } from "./sqlite-worker.js";

/** The SQLite thread stopped (crashed, ran out of memory, or the store was closed). */
export class SqliteWorkerGoneError extends Error {
  override readonly name = "SqliteWorkerGoneError";
  readonly code = "RASEED_SQLITE_WORKER_GONE";
}

export interface SqliteWorkerOptions {
  /** A file path, or ":memory:" (a private database that lives as long as the thread). */
  path: string;
  /** Run in order right after opening, e.g. "journal_mode = WAL". */
  pragmas?: readonly string[];
  /**
   * Also open a second connection on the calling thread, for reads only: Kysely-built SELECTs outside a
   * transaction run there at once, never waiting behind the thread's transaction and its fsync (in WAL mode a
   * reader sees the last commit), and cost no trip to the thread. Not for ":memory:" (a private database
   * per connection).
   */
  readsOnCallingThread?: boolean;
  /** Called with each thread started (tests end it to see waiting queries fail). */
  started?: (thread: Worker) => void;
}

// Requests without their id: the channel numbers them.
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
type Request = WithoutId<WorkerRequest>;

function startWorker(): Worker {
  return new Worker(new URL("./sqlite-worker.js", import.meta.url), {
    workerData: { raseedSqliteThread: true },
    // Plain JavaScript: none of the main thread's loaders (`--import tsx` costs ~0.4 s per thread).
    execArgv: [],
  });
}

/** The thread and the requests waiting on it. Keeps the process alive only while a request is waiting. */
class WorkerChannel {
  readonly #worker: Worker;
  readonly #waiting = new Map<
    number,
    { resolve: (result: WorkerResult) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;
  #gone: SqliteWorkerGoneError | undefined;

  constructor(started: ((thread: Worker) => void) | undefined) {
    this.#worker = startWorker();
    started?.(this.#worker);
    this.#worker.unref();
    this.#worker.on("message", (answer: WorkerAnswer) => this.#answer(answer));
    this.#worker.on("error", (error) => {
      this.#stop(new SqliteWorkerGoneError(`the SQLite thread failed: ${error.message}`, { cause: error }));
    });
    this.#worker.on("exit", (code) =>
      this.#stop(new SqliteWorkerGoneError(`the SQLite thread exited (code ${code})`)),
    );
  }

  request(request: Request): Promise<WorkerResult> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  /** Closes the database (a clean WAL checkpoint) if the thread still runs, then ends the thread. */
  async close(): Promise<void> {
    if (this.#gone === undefined) await this.request({ op: "close" }).catch(() => undefined);
    this.#stop(new SqliteWorkerGoneError("the store is closed"));
    await this.#worker.terminate();
  }

  #answer(answer: WorkerAnswer): void {
    const waiter = this.#waiting.get(answer.id);
    if (waiter === undefined) return;
    this.#waiting.delete(answer.id);
    if (this.#waiting.size === 0) this.#worker.unref();
    if ("result" in answer) waiter.resolve(answer.result);
    else if (answer.error.code !== undefined)
      waiter.reject(new SqliteDatabase.SqliteError(answer.error.message, answer.error.code));
    else waiter.reject(new Error(answer.error.message));
  }

  #stop(reason: SqliteWorkerGoneError): void {
    this.#gone ??= reason;
    for (const waiter of this.#waiting.values()) waiter.reject(this.#gone);
    this.#waiting.clear();
  }
}

/** Blobs cross the thread as plain Uint8Arrays; callers get Buffers, as better-sqlite3 gives them. */
function withBuffers(rows: unknown[]): unknown[] {
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    for (const key in record) {
      const value = record[key];
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
        record[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    }
  }
  return rows;
}

class WorkerConnection implements DatabaseConnection {
  constructor(readonly channel: WorkerChannel) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.channel.request({ op: "run", sql: query.sql, parameters: query.parameters });
    if ("rows" in result) return { rows: withBuffers(result.rows) as R[] };
    if (!("changes" in result)) return { rows: [] };
    return { numAffectedRows: BigInt(result.changes), insertId: BigInt(result.lastInsertRowid), rows: [] };
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters } = query;
    let chunk = await this.channel.request({ op: "stream", sql, parameters, chunkSize });
    let done = false;
    try {
      while ("rows" in chunk) {
        done = "done" in chunk && chunk.done;
        if (chunk.rows.length > 0) yield { rows: withBuffers(chunk.rows) as R[] };
        if (done) return;
        chunk = await this.channel.request({ op: "next" });
      }
    } finally {
      if (!done) await this.channel.request({ op: "endStream" }).catch(() => undefined);
    }
  }
}

/** Kysely's own SQLite mutex semantics: one holder at a time; a transaction holds it until it ends. */
class ConnectionMutex {
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.#held !== undefined) await this.#held;
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  unlock(): void {
    const release = this.#release;
    this.#held = undefined;
    this.#release = undefined;
    release?.();
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The read-only connection on the calling thread (readsOnCallingThread). */
class ReaderConnection {
  readonly #statements: StatementCache;

  constructor(path: string, pragmas: readonly string[]) {
    const database = new SqliteDatabase(path);
    try {
      for (const pragma of pragmas) database.pragma(pragma);
      database.pragma("query_only = ON");
    } catch (error) {
      database.close();
      throw error;
    }
    this.#statements = withStatementCache(database);
  }

  executeQuery<R>(query: CompiledQuery): QueryResult<R> {
    return { rows: this.#statements.prepare(query.sql).all(query.parameters) as R[] };
  }

  close(): void {
    this.#statements.close();
  }
}

/**
 * One Kysely connection (a query, a transaction or a stream). It takes the thread's connection (and its
 * mutex) at its first statement that needs it and keeps it until released, so a transaction holds it from
 * BEGIN to COMMIT; a lone SELECT goes to the reader when there is one.
 */
class Lease implements DatabaseConnection {
  holdsWriter = false;
  constructor(private readonly driver: SqliteWorkerDriver) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const reader = this.driver.reader;
    if (!this.holdsWriter && reader !== undefined && SelectQueryNode.is(query.query)) {
      return reader.executeQuery<R>(query);
    }
    return (await this.writer()).executeQuery<R>(query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    yield* (await this.writer()).streamQuery<R>(query, chunkSize);
  }

  async writer(): Promise<WorkerConnection> {
    if (!this.holdsWriter) {
      await this.driver.mutex.lock();
      this.holdsWriter = true;
    }
    const connection = this.driver.connection;
    if (connection === undefined) throw new SqliteWorkerGoneError("the store is closed");
    return connection;
  }
}

class SqliteWorkerDriver implements Driver {
  readonly mutex = new ConnectionMutex();
  connection: WorkerConnection | undefined;
  reader: ReaderConnection | undefined;

  constructor(private readonly options: SqliteWorkerOptions) {}

  async init(): Promise<void> {
    const { path, pragmas = [] } = this.options;
    const channel = new WorkerChannel(this.options.started);
    try {
      await channel.request({ op: "open", path, pragmas });
      // After the thread's open: the file exists and is in WAL mode.
      if (this.options.readsOnCallingThread === true && path !== ":memory:") {
        this.reader = new ReaderConnection(path, pragmas);
      }
    } catch (error) {
      await channel.close();
      throw error;
    }
    this.connection = new WorkerConnection(channel);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin"));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // The worker skips a rollback SQLite has already done by itself.
    await (await (connection as Lease).writer()).channel.request({ op: "rollback" });
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.holdsWriter) return;
    lease.holdsWriter = false;
    this.mutex.unlock();
  }

  async destroy(): Promise<void> {
    const { connection, reader } = this;
    this.connection = undefined;
    this.reader = undefined;
    reader?.close();
    await connection?.channel.close();
  }
}

/** SQLite through a worker thread; otherwise Kysely's SQLite dialect (same SQL, adapter and introspector). */
export class SqliteWorkerDialect implements Dialect {
  constructor(private readonly options: SqliteWorkerOptions) {}

  createDriver(): Driver {
    return new SqliteWorkerDriver(this.options);
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Dialect's own signature takes Kysely<any>
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}
